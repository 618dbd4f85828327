-- Long media is transcribed in chunks cut at silences, each a work item any
-- replica may take; a finished chunk's segments (already placed at their
-- time in the whole media) are kept here until the last one is done.
CREATE TABLE transcript_chunks (
    tenant_id     text NOT NULL,
    transcript_id text NOT NULL,
    idx           integer NOT NULL,
    start_s       double precision NOT NULL,
    end_s         double precision NOT NULL,
    result        jsonb,                     -- NULL until transcribed
    PRIMARY KEY (tenant_id, transcript_id, idx),
    FOREIGN KEY (tenant_id, transcript_id) REFERENCES transcripts (tenant_id, id) ON DELETE CASCADE
);
