-- +goose Up
CREATE TABLE IF NOT EXISTS auth_users (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    subject    text NOT NULL UNIQUE,
    email      text NOT NULL DEFAULT '',
    full_name  text NOT NULL DEFAULT '',
    avatar_url text NOT NULL DEFAULT '',
    role       text NOT NULL,
    plan       text NOT NULL,
    is_active  boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS auth_users_created_idx ON auth_users (created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS auth_users_email_idx ON auth_users (lower(email));

-- +goose Down
DROP TABLE IF EXISTS auth_users;
