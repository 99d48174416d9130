-- +goose Up
ALTER TABLE auth_users ADD COLUMN IF NOT EXISTS email_verified boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE auth_users DROP COLUMN IF EXISTS email_verified;
