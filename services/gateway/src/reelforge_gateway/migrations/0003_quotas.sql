-- Per-tenant quotas; NULL means the gateway's configured default.
ALTER TABLE tenants
    ADD COLUMN max_upload_bytes     bigint CHECK (max_upload_bytes > 0),
    ADD COLUMN max_media_duration_s double precision CHECK (max_media_duration_s > 0),
    ADD COLUMN max_concurrent_jobs  integer CHECK (max_concurrent_jobs > 0),
    ADD COLUMN monthly_minutes      integer CHECK (monthly_minutes > 0);

-- Media minutes processed per tenant and calendar month (UTC), from
-- asset.ingested events; each event counts once.
CREATE TABLE usage (
    tenant_id   text NOT NULL,
    month       date NOT NULL,
    seconds     double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, month)
);
CREATE TABLE usage_events (
    event_id    text PRIMARY KEY,
    counted_at  timestamptz NOT NULL DEFAULT now()
);
