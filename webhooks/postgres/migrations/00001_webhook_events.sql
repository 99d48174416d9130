-- +goose Up
CREATE TABLE IF NOT EXISTS omnistack_webhook_events (
    id           uuid        PRIMARY KEY,
    provider     text        NOT NULL,
    event_id     text        NOT NULL,
    type         text        NOT NULL,
    status       text        NOT NULL CHECK (status IN ('received', 'processing', 'processed', 'failed')),
    payload      jsonb       NOT NULL,
    attempts     integer     NOT NULL DEFAULT 0,
    last_error   text        NOT NULL DEFAULT '',
    occurred_at  timestamptz NOT NULL,
    received_at  timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    processed_at timestamptz,
    lease_until  timestamptz,
    CONSTRAINT omnistack_webhook_events_provider_event_id_key UNIQUE (provider, event_id)
);

CREATE INDEX IF NOT EXISTS omnistack_webhook_events_received_idx
    ON omnistack_webhook_events (received_at DESC, id DESC);

CREATE INDEX IF NOT EXISTS omnistack_webhook_events_status_idx
    ON omnistack_webhook_events (status, updated_at);

CREATE TABLE IF NOT EXISTS omnistack_webhook_objects (
    provider text        NOT NULL,
    object   text        NOT NULL,
    newest   timestamptz NOT NULL,
    PRIMARY KEY (provider, object)
);

CREATE INDEX IF NOT EXISTS omnistack_webhook_objects_newest_idx
    ON omnistack_webhook_objects (newest);

-- +goose Down
DROP TABLE IF EXISTS omnistack_webhook_objects;
DROP TABLE IF EXISTS omnistack_webhook_events;
