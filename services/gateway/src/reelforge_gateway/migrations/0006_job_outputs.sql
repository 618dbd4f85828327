-- What a finished job produced: output name -> object key (presigned when read).
ALTER TABLE jobs ADD COLUMN outputs jsonb NOT NULL DEFAULT '{}';
