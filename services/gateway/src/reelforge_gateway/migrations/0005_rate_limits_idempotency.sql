-- Per-tenant request rate limits (NULL: the gateway's configured default) and
-- one token bucket per tenant, shared by every gateway replica. `rate` and
-- `burst` are the limits the bucket was last refilled with. Unlogged: a
-- write per request without a WAL flush; after a crash the buckets start
-- full again, which costs nothing worth keeping.
ALTER TABLE tenants
    ADD COLUMN rate_limit_per_s double precision CHECK (rate_limit_per_s > 0),
    ADD COLUMN rate_limit_burst integer CHECK (rate_limit_burst >= 1);

CREATE UNLOGGED TABLE rate_buckets (
    tenant_id   text PRIMARY KEY,
    tokens      double precision NOT NULL,
    refilled_at timestamptz NOT NULL,
    rate        double precision NOT NULL,
    burst       integer NOT NULL
);

-- Idempotency-Key records: the first request's fingerprint and, once it has
-- answered, its response; `lease_until` is renewed while it is in flight, so
-- a replica that died mid-request frees the key.
CREATE TABLE idempotency_records (
    owner            text NOT NULL,             -- tenant id, or 'operator'
    key              text NOT NULL,
    fingerprint      bytea,                     -- NULL until the first request's body is read
    lease_until      timestamptz NOT NULL,
    response_status  integer,                   -- NULL while in flight
    response_headers jsonb,
    response_body    bytea,
    expires_at       timestamptz NOT NULL,
    PRIMARY KEY (owner, key)
);
CREATE INDEX idempotency_records_expiry ON idempotency_records (expires_at);
