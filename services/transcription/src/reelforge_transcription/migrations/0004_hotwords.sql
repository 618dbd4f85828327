-- Words and names a transcription's decoder should favour.
ALTER TABLE transcripts ADD COLUMN hotwords text NOT NULL DEFAULT '';
