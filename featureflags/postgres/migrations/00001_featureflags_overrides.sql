-- +goose Up
CREATE TABLE IF NOT EXISTS omnistack_featureflags_overrides (
    user_id    text        PRIMARY KEY,
    features   jsonb       NOT NULL DEFAULT '{}',
    quotas     jsonb       NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE IF EXISTS omnistack_featureflags_overrides;
