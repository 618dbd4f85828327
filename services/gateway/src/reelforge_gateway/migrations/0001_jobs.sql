-- The jobs read model: one row per job, projected from the job's events.
CREATE TABLE jobs (
    tenant_id      text NOT NULL,
    id             text NOT NULL,
    kind           text NOT NULL,
    resource_id    text NOT NULL DEFAULT '',
    status         text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    stage          text NOT NULL DEFAULT '',
    progress       double precision NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
    error_code     text,
    error_message  text,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX jobs_tenant_updated ON jobs (tenant_id, updated_at DESC);
