-- Practice sessions: a reference video and the recordings that imitate it,
-- each compared (by the pose service) with its span of the reference.
CREATE TABLE practice_sessions (
    tenant_id          text NOT NULL,
    id                 text NOT NULL,
    name               text NOT NULL,
    reference_asset_id text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX practice_sessions_newest ON practice_sessions (tenant_id, created_at DESC, id DESC);

CREATE TABLE practice_recordings (
    tenant_id         text NOT NULL,
    session_id        text NOT NULL,
    id                text NOT NULL,
    position          integer NOT NULL,
    asset_id          text NOT NULL,
    duration_s        double precision NOT NULL,
    reference_start_s double precision NOT NULL,
    reference_end_s   double precision NOT NULL,
    comparison_id     text NOT NULL,
    job_id            text NOT NULL,
    PRIMARY KEY (tenant_id, session_id, id),
    UNIQUE (tenant_id, job_id),
    FOREIGN KEY (tenant_id, session_id) REFERENCES practice_sessions ON DELETE CASCADE
);

CREATE TABLE session_exports (
    tenant_id     text NOT NULL,
    id            text NOT NULL,
    job_id        text NOT NULL,
    session_id    text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('solo', 'comparison')),
    resolution    text NOT NULL,
    format        text NOT NULL,
    status        text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    duration_s    double precision NOT NULL DEFAULT 0,
    output_key    text NOT NULL DEFAULT '',
    error_code    text,
    error_message text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, job_id)
);
