-- Image assets aigen has heard of (from asset.ingested): first frames and
-- characters' references are read from their original objects.
CREATE TABLE image_assets (
    tenant_id     text NOT NULL,
    asset_id      text NOT NULL,
    original_key  text NOT NULL,
    width         integer NOT NULL,
    height        integer NOT NULL,
    content_type  text NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, asset_id)
);

-- Characters: a named reference image of a project.
CREATE TABLE characters (
    tenant_id       text NOT NULL,
    id              text NOT NULL,
    project         text NOT NULL DEFAULT '',
    name            text NOT NULL,
    image_asset_id  text NOT NULL,
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX characters_tenant_created ON characters (tenant_id, created_at DESC, id DESC);

-- Generations: one row per request, from acceptance to its end.
CREATE TABLE generations (
    tenant_id        text NOT NULL,
    id               text NOT NULL,
    job_id           text NOT NULL,
    status           text NOT NULL
        CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    -- The request as asked: provider, model, prompt, image, character,
    -- duration, resolution, aspect, seed, no_cache.
    spec             jsonb NOT NULL,
    -- SHA-256 of what determines the result; identical requests share it.
    request_hash     text NOT NULL,
    -- The tenant's quotas for the video's asset (ingest.v1.Quota).
    quota_max_bytes       bigint NOT NULL DEFAULT 0,
    quota_max_duration_s  double precision NOT NULL DEFAULT 0,
    estimate_micros  bigint NOT NULL DEFAULT 0,
    cost_micros      bigint NOT NULL DEFAULT 0,
    -- Who made (or is making) the video: the requested provider or a fallback.
    provider         text NOT NULL DEFAULT '',
    model            text NOT NULL DEFAULT '',
    -- The provider's task while it runs, so a replica that takes over polls
    -- it instead of submitting (and paying for) a second one.
    provider_task_id text NOT NULL DEFAULT '',
    attempts         integer NOT NULL DEFAULT 0,
    cached_from      text NOT NULL DEFAULT '',
    video_key        text NOT NULL DEFAULT '',
    asset_id         text NOT NULL DEFAULT '',
    procedural       boolean NOT NULL DEFAULT false,
    error_code       text,
    error_message    text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, job_id)
);
CREATE INDEX generations_tenant_created ON generations (tenant_id, created_at DESC, id DESC);
CREATE INDEX generations_cache ON generations (tenant_id, request_hash) WHERE status = 'succeeded';
CREATE INDEX generations_open ON generations (tenant_id) WHERE status IN ('queued', 'running');

-- A tenant's monthly budget (NULL: the deployment's default; 0: unlimited).
-- The row is also the lock that serialises a tenant's budget checks.
CREATE TABLE budgets (
    tenant_id      text PRIMARY KEY,
    monthly_micros bigint CHECK (monthly_micros >= 0)
);

-- What was spent: one entry per charged generation or completion.
CREATE TABLE ledger (
    id             bigserial PRIMARY KEY,
    tenant_id      text NOT NULL,
    generation_id  text NOT NULL DEFAULT '',
    job_id         text NOT NULL DEFAULT '',
    kind           text NOT NULL CHECK (kind IN ('generation', 'completion')),
    provider       text NOT NULL,
    model          text NOT NULL DEFAULT '',
    amount_micros  bigint NOT NULL,
    at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_tenant_at ON ledger (tenant_id, at DESC);
-- A generation is charged once, whatever redeliveries happen.
CREATE UNIQUE INDEX ledger_generation ON ledger (tenant_id, generation_id) WHERE kind = 'generation';

-- Token buckets shared by every replica: per provider, and per tenant and
-- provider. Unlogged: after a crash they start full, which costs nothing.
CREATE UNLOGGED TABLE rate_buckets (
    key          text PRIMARY KEY,
    tokens       double precision NOT NULL,
    refilled_at  timestamptz NOT NULL
);
