-- Videos of pose comparisons: reference and attempt side by side.
CREATE TABLE comparison_videos (
    tenant_id     text NOT NULL,
    id            text NOT NULL,
    job_id        text NOT NULL,
    comparison_id text NOT NULL,
    status        text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    resolution    text NOT NULL,
    format        text NOT NULL,
    duration_s    double precision NOT NULL DEFAULT 0,
    output_key    text NOT NULL DEFAULT '',
    error_code    text,
    error_message text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX comparison_videos_job ON comparison_videos (tenant_id, job_id);
