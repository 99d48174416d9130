-- Plans belong to billing, not to auth.

-- +goose Up
ALTER TABLE auth_users DROP COLUMN IF EXISTS plan;

-- +goose Down
ALTER TABLE auth_users ADD COLUMN IF NOT EXISTS plan text NOT NULL DEFAULT 'free';
