-- Mixes: variants that each join one clip from every group of assets.
-- variants: [{index, asset_ids, durations, settings, metadata, output_key}],
-- output_key empty until that variant is stored.
CREATE TABLE mixes (
    tenant_id     text NOT NULL,
    id            text NOT NULL,
    job_id        text NOT NULL,
    name          text NOT NULL,
    status        text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    variants      jsonb NOT NULL,
    error_code    text,
    error_message text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX mixes_job ON mixes (tenant_id, job_id);
