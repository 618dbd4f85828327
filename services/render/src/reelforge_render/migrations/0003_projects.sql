-- Projects: ordered sequences of clips (assets, each trimmed), and their exports.
CREATE TABLE projects (
    tenant_id  text NOT NULL,
    id         text NOT NULL,
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX projects_newest ON projects (tenant_id, created_at DESC, id DESC);

CREATE TABLE project_items (
    tenant_id  text NOT NULL,
    project_id text NOT NULL,
    id         text NOT NULL,
    position   integer NOT NULL,
    asset_id   text NOT NULL,
    trim_in_s  double precision NOT NULL DEFAULT 0,
    trim_out_s double precision NOT NULL,         -- where the clip ends in its asset
    PRIMARY KEY (tenant_id, project_id, id),
    FOREIGN KEY (tenant_id, project_id) REFERENCES projects ON DELETE CASCADE,
    CHECK (0 <= trim_in_s AND trim_in_s < trim_out_s)
);
CREATE INDEX project_items_order ON project_items (tenant_id, project_id, position);

-- An export keeps the items and settings it was asked with: later edits of
-- the project do not change it, and its history says what was made.
CREATE TABLE exports (
    tenant_id     text NOT NULL,
    id            text NOT NULL,
    job_id        text NOT NULL,
    project_id    text NOT NULL,
    status        text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
    settings      jsonb NOT NULL,
    items         jsonb NOT NULL,
    duration_s    double precision NOT NULL,
    output_key    text NOT NULL DEFAULT '',
    size_bytes    bigint NOT NULL DEFAULT 0,
    error_code    text,
    error_message text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX exports_job ON exports (tenant_id, job_id);
CREATE INDEX exports_history ON exports (tenant_id, project_id, created_at DESC, id DESC);
