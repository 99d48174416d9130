-- +goose Up
CREATE TABLE IF NOT EXISTS projects (
	id          uuid PRIMARY KEY,
	owner_id    text NOT NULL,
	name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
	description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 1000),
	created_at  timestamptz NOT NULL,
	updated_at  timestamptz NOT NULL,
	deleted_at  timestamptz,
	version     bigint NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS projects_owner_created ON projects (owner_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS projects_owner_updated ON projects (owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS projects_owner_name ON projects (owner_id, name COLLATE "C", id) WHERE deleted_at IS NULL;

-- +goose Down
DROP TABLE IF EXISTS projects;
