-- +goose Up
CREATE TABLE IF NOT EXISTS omnistack_billing_entitlements (
    user_id              text        PRIMARY KEY,
    plan                 text        NOT NULL DEFAULT '',
    status               text        NOT NULL DEFAULT 'none',
    source               text        NOT NULL DEFAULT '',
    customer_id          text        NOT NULL DEFAULT '',
    subscription_id      text        NOT NULL DEFAULT '',
    product_id           text        NOT NULL DEFAULT '',
    current_period_start timestamptz,
    current_period_end   timestamptz,
    cancel_at_period_end boolean     NOT NULL DEFAULT false,
    trial_end            timestamptz,
    updated_at           timestamptz,
    override_plan        text        NOT NULL DEFAULT '',
    override_at          timestamptz
);

CREATE INDEX IF NOT EXISTS omnistack_billing_entitlements_subscription_idx
    ON omnistack_billing_entitlements (source, subscription_id);

CREATE TABLE IF NOT EXISTS omnistack_billing_customers (
    source      text        NOT NULL,
    user_id     text        NOT NULL,
    customer_id text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, user_id),
    CONSTRAINT omnistack_billing_customers_customer_key UNIQUE (source, customer_id)
);

-- +goose Down
DROP TABLE IF EXISTS omnistack_billing_customers;
DROP TABLE IF EXISTS omnistack_billing_entitlements;
