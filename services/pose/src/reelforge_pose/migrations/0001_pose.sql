-- Assets this service may analyse, as ingest announced them (asset.ingested).
CREATE TABLE assets (
    tenant_id   text NOT NULL,
    asset_id    text NOT NULL,
    proxy_key   text NOT NULL,           -- upright low-resolution MP4; empty for audio-only assets
    duration_s  double precision NOT NULL,
    PRIMARY KEY (tenant_id, asset_id)
);

-- One row per pose analysis: a job of its own (job_id) or made for a
-- comparison (job_id empty). The track is a NumPy .npz in S3 at `track_key`.
CREATE TABLE analyses (
    tenant_id          text NOT NULL,
    id                 text NOT NULL,
    asset_id           text NOT NULL,
    job_id             text NOT NULL DEFAULT '',
    status             text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    requested_fps      double precision NOT NULL,  -- as asked for
    sample_fps         double precision NOT NULL,  -- as analysed: at most the proxy's rate
    max_people         integer NOT NULL,
    model              text NOT NULL,
    frames_analysed    integer NOT NULL DEFAULT 0,
    frames_with_person integer NOT NULL DEFAULT 0,
    mean_visibility    double precision NOT NULL DEFAULT 0,
    people_seen        integer NOT NULL DEFAULT 0,
    no_person          boolean NOT NULL DEFAULT false,
    duration_s         double precision NOT NULL DEFAULT 0,
    width              integer NOT NULL DEFAULT 0,
    height             integer NOT NULL DEFAULT 0,
    track_key          text NOT NULL DEFAULT '',
    error_code         text,
    error_message      text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    completed_at       timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX analyses_asset ON analyses (tenant_id, asset_id, created_at DESC);

-- One row per comparison; the full result (segments, feedback, alignment
-- path) is JSON in S3 at `result_key` once completed.
CREATE TABLE comparisons (
    tenant_id          text NOT NULL,
    id                 text NOT NULL,
    job_id             text NOT NULL,
    status             text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    reference_asset_id text NOT NULL,
    attempt_asset_id   text NOT NULL,
    reference_start_s  double precision NOT NULL DEFAULT 0,
    reference_end_s    double precision NOT NULL DEFAULT 0,   -- 0: to the end
    attempt_start_s    double precision NOT NULL DEFAULT 0,
    attempt_end_s      double precision NOT NULL DEFAULT 0,
    sample_fps         double precision NOT NULL DEFAULT 0,
    score              double precision,
    mirrored           boolean NOT NULL DEFAULT false,
    weak_segments      integer NOT NULL DEFAULT 0,
    result_key         text NOT NULL DEFAULT '',
    error_code         text,
    error_message      text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    completed_at       timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX comparisons_job ON comparisons (tenant_id, job_id);
CREATE INDEX comparisons_recent ON comparisons (tenant_id, created_at DESC, id DESC);
CREATE INDEX comparisons_reference ON comparisons (tenant_id, reference_asset_id);
CREATE INDEX comparisons_attempt ON comparisons (tenant_id, attempt_asset_id);
