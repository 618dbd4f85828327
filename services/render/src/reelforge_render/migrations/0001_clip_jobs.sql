-- Assets clip jobs are made from, as ingest announced them. A clip job may
-- name an asset before it is ingested: its row is then 'pending', and the row
-- lock serialises the job's start against the asset's announcement.
CREATE TABLE assets (
    tenant_id     text NOT NULL,
    asset_id      text NOT NULL,
    status        text NOT NULL CHECK (status IN ('pending', 'ready', 'failed')),
    original_key  text NOT NULL DEFAULT '',
    audio_key     text NOT NULL DEFAULT '',   -- 16 kHz mono WAV; empty without audio
    duration_s    double precision NOT NULL DEFAULT 0,
    has_video     boolean NOT NULL DEFAULT false,
    width         integer NOT NULL DEFAULT 0,        -- as displayed (rotation applied)
    height        integer NOT NULL DEFAULT 0,
    error_code    text,
    error_message text,
    PRIMARY KEY (tenant_id, asset_id)
);

CREATE TABLE clip_jobs (
    tenant_id           text NOT NULL,
    id                  text NOT NULL,
    job_id              text NOT NULL,
    asset_id            text NOT NULL,
    status              text NOT NULL CHECK (status IN ('waiting', 'analysing', 'rendering', 'completed', 'failed')),
    options             jsonb NOT NULL,
    transcript_id       text NOT NULL DEFAULT '',
    transcript_ready    boolean NOT NULL DEFAULT false,
    transcript_progress double precision NOT NULL DEFAULT 0,
    pose_analysis_id    text NOT NULL DEFAULT '',
    pose_ready          boolean NOT NULL DEFAULT false,
    pose_progress       double precision NOT NULL DEFAULT 0,
    manifest_key        text NOT NULL DEFAULT '',
    error_code          text,
    error_message       text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    completed_at        timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX clip_jobs_job ON clip_jobs (tenant_id, job_id);
CREATE INDEX clip_jobs_asset ON clip_jobs (tenant_id, asset_id, status);

-- The plan of a clip job, one row per clip, and each clip's outputs once rendered.
CREATE TABLE clips (
    tenant_id     text NOT NULL,
    clip_job_id   text NOT NULL,
    idx           integer NOT NULL,
    start_s       double precision NOT NULL,
    end_s         double precision NOT NULL,
    score         double precision NOT NULL,
    reasons       jsonb NOT NULL,
    title         text NOT NULL,
    excerpt       text NOT NULL,
    framing       text NOT NULL DEFAULT '',
    width         integer NOT NULL DEFAULT 0,
    height        integer NOT NULL DEFAULT 0,
    video_key     text NOT NULL DEFAULT '',
    thumbnail_key text NOT NULL DEFAULT '',
    subtitles_key text NOT NULL DEFAULT '',
    rendered      boolean NOT NULL DEFAULT false,
    PRIMARY KEY (tenant_id, clip_job_id, idx),
    FOREIGN KEY (tenant_id, clip_job_id) REFERENCES clip_jobs (tenant_id, id) ON DELETE CASCADE
);
