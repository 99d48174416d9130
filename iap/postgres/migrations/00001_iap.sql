-- +goose Up
CREATE TABLE IF NOT EXISTS omnistack_iap_links (
    source          text        NOT NULL,
    subscription_id text        NOT NULL,
    user_id         text        NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, subscription_id)
);

CREATE INDEX IF NOT EXISTS omnistack_iap_links_user_idx ON omnistack_iap_links (user_id);

-- +goose Down
DROP TABLE IF EXISTS omnistack_iap_links;
