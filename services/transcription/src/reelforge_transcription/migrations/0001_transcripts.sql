-- Assets this service may transcribe, as ingest announced them (asset.ingested).
CREATE TABLE assets (
    tenant_id   text NOT NULL,
    asset_id    text NOT NULL,
    audio_key   text NOT NULL,           -- 16 kHz mono WAV; empty when the media has no audio
    duration_s  double precision NOT NULL,
    PRIMARY KEY (tenant_id, asset_id)
);

-- One row per requested transcription; the document (segments and words) is
-- JSON in S3 at `document_key` once completed.
CREATE TABLE transcripts (
    tenant_id            text NOT NULL,
    id                   text NOT NULL,
    asset_id             text NOT NULL,
    job_id               text NOT NULL,
    status               text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    requested_language   text NOT NULL DEFAULT '',
    prompt               text NOT NULL DEFAULT '',
    word_timestamps      boolean NOT NULL DEFAULT true,
    model                text NOT NULL DEFAULT '',
    language             text NOT NULL DEFAULT '',
    language_probability double precision NOT NULL DEFAULT 0,
    duration_s           double precision NOT NULL DEFAULT 0,
    no_audio             boolean NOT NULL DEFAULT false,
    document_key         text NOT NULL DEFAULT '',
    error_code           text,
    error_message        text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    completed_at         timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX transcripts_job ON transcripts (tenant_id, job_id);
CREATE INDEX transcripts_asset ON transcripts (tenant_id, asset_id, created_at DESC);

-- Segments of completed transcripts, for search.
CREATE TABLE segments (
    tenant_id     text NOT NULL,
    transcript_id text NOT NULL,
    idx           integer NOT NULL,
    start_s       double precision NOT NULL,
    end_s         double precision NOT NULL,
    text          text NOT NULL,
    tsv           tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED,
    PRIMARY KEY (tenant_id, transcript_id, idx),
    FOREIGN KEY (tenant_id, transcript_id) REFERENCES transcripts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX segments_tsv ON segments USING gin (tsv);
