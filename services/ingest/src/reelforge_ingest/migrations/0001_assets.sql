-- Assets: one row per uploaded or imported file, from the moment it is
-- accepted (or, for presigned uploads, created) until it is deleted.
CREATE TABLE assets (
    tenant_id             text NOT NULL,
    id                    text NOT NULL,
    job_id                text NOT NULL,
    status                text NOT NULL
        CHECK (status IN ('uploading', 'importing', 'processing', 'ready', 'failed')),
    source                text NOT NULL CHECK (source IN ('upload', 'multipart', 'import')),
    filename              text NOT NULL DEFAULT '',
    content_type          text NOT NULL DEFAULT '',
    size_bytes            bigint NOT NULL DEFAULT 0,
    source_url            text NOT NULL DEFAULT '',
    original_key          text NOT NULL DEFAULT '',
    -- The S3 multipart upload and its part size, while status = 'uploading'.
    upload_id             text,
    part_size             bigint,
    -- The tenant's quotas when the asset was created.
    quota_max_bytes       bigint NOT NULL DEFAULT 0,
    quota_max_duration_s  double precision NOT NULL DEFAULT 0,
    -- MediaInfo (events/v1/asset.proto) as JSON, once probed.
    media                 jsonb,
    -- Derivative name -> object key.
    derivatives           jsonb NOT NULL DEFAULT '{}',
    error_code            text,
    error_message         text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX assets_tenant_created ON assets (tenant_id, created_at DESC, id DESC);
