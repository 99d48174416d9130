-- +goose Up
-- Create counts an owner's pending uploads before each new one.
CREATE INDEX IF NOT EXISTS storage_files_owner_pending_idx
    ON storage_files (owner_id) INCLUDE (size) WHERE status = 'pending';

-- +goose Down
DROP INDEX IF EXISTS storage_files_owner_pending_idx;
