-- +goose Up
CREATE TABLE IF NOT EXISTS storage_files (
    id           text        PRIMARY KEY,
    owner_id     text        NOT NULL,
    key          text        NOT NULL,
    filename     text        NOT NULL,
    content_type text        NOT NULL,
    size         bigint      NOT NULL CHECK (size >= 0),
    status       text        NOT NULL CHECK (status IN ('pending', 'uploaded')),
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    uploaded_at  timestamptz
);

CREATE INDEX IF NOT EXISTS storage_files_owner_created_idx
    ON storage_files (owner_id, created_at DESC, id DESC);

CREATE INDEX IF NOT EXISTS storage_files_pending_idx
    ON storage_files (created_at) WHERE status = 'pending';

-- +goose Down
DROP TABLE IF EXISTS storage_files;
