-- Webhook endpoints of a tenant.
CREATE TABLE endpoints (
    tenant_id       text NOT NULL,
    id              text NOT NULL,
    url             text NOT NULL,
    description     text NOT NULL DEFAULT '',
    event_types     text[] NOT NULL DEFAULT '{}',   -- empty: every type
    job_kinds       text[] NOT NULL DEFAULT '{}',   -- empty: every kind
    enabled         boolean NOT NULL DEFAULT true,
    disabled_reason text NOT NULL DEFAULT '',
    failing_since   timestamptz,                    -- first failure of the current run of failures
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX endpoints_enabled ON endpoints (tenant_id) WHERE enabled;

-- Signing secrets: every live one signs (several during a rotation).
CREATE TABLE endpoint_secrets (
    tenant_id   text NOT NULL,
    endpoint_id text NOT NULL,
    secret      text NOT NULL,                      -- "whsec_<base64>"
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    expires_at  timestamptz,                        -- set when rotated out
    FOREIGN KEY (tenant_id, endpoint_id) REFERENCES endpoints ON DELETE CASCADE
);
CREATE INDEX endpoint_secrets_of ON endpoint_secrets (tenant_id, endpoint_id);

-- What was announced, once per event: the exact body every endpoint receives.
CREATE TABLE messages (
    tenant_id  text NOT NULL,
    id         text NOT NULL,                       -- the webhook-id, "msg_<event id>"
    event_type text NOT NULL,
    job_id     text NOT NULL DEFAULT '',
    payload    text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);

-- One message to one endpoint, tried until it succeeds or the schedule ends.
CREATE TABLE deliveries (
    tenant_id        text NOT NULL,
    id               text NOT NULL,
    endpoint_id      text NOT NULL,
    message_id       text NOT NULL,
    event_type       text NOT NULL,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,     -- made so far
    scheduled        integer NOT NULL DEFAULT 0,     -- attempts of the current schedule (a replay starts a new one)
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    lease_until      timestamptz,                    -- claimed by a replica until then
    last_status_code integer NOT NULL DEFAULT 0,
    last_error       text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, endpoint_id, message_id),
    FOREIGN KEY (tenant_id, endpoint_id) REFERENCES endpoints ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, message_id) REFERENCES messages
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_of_endpoint ON deliveries (tenant_id, endpoint_id, created_at DESC, id DESC);

-- The delivery log: every attempt.
CREATE TABLE attempts (
    tenant_id        text NOT NULL,
    delivery_id      text NOT NULL,
    attempt          integer NOT NULL,
    started_at       timestamptz NOT NULL,
    status_code      integer NOT NULL DEFAULT 0,
    latency_ms       double precision NOT NULL DEFAULT 0,
    error            text NOT NULL DEFAULT '',
    response_excerpt text NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, delivery_id, attempt),
    FOREIGN KEY (tenant_id, delivery_id) REFERENCES deliveries ON DELETE CASCADE
);

-- Per-tenant opt-in to job emails.
CREATE TABLE email_settings (
    tenant_id   text PRIMARY KEY,
    address     text NOT NULL DEFAULT '',
    event_types text[] NOT NULL DEFAULT '{}',
    job_kinds   text[] NOT NULL DEFAULT '{}',
    enabled     boolean NOT NULL DEFAULT false,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Emails to send, tried on the same schedule as deliveries.
CREATE TABLE emails (
    tenant_id       text NOT NULL,
    id              text NOT NULL,                   -- "<message id>" or "<reason>:<endpoint>": one email per cause
    to_address      text NOT NULL,
    subject         text NOT NULL,
    body            text NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz,
    last_error      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX emails_due ON emails (next_attempt_at) WHERE status = 'pending';
