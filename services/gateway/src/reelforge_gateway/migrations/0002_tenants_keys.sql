-- Tenants and their API keys. A key is shown once, as rf_<id>_<secret>;
-- only the SHA-256 of its secret is stored.
CREATE TABLE tenants (
    id          text PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id            text PRIMARY KEY,
    tenant_id     text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name          text NOT NULL DEFAULT '',
    secret_sha256 bytea NOT NULL,
    scopes        text[] NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz,
    CHECK (scopes <@ ARRAY['read', 'write', 'admin']::text[])
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at);
