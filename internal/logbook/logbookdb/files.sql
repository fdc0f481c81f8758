-- Attachments: their rows (the bytes are in the blob store under the id).

-- name: EntryAttachmentIDs :many
SELECT id FROM log_attachments WHERE log_entry_id = @log_entry_id;

-- name: CountAttachments :one
SELECT count(*) FROM log_attachments WHERE log_entry_id = @log_entry_id;

-- name: InsertAttachment :exec
INSERT INTO log_attachments (id, log_entry_id, content_type, size, created_at)
VALUES (@id, @log_entry_id, @content_type, @size, @created_at);

-- name: TouchEntry :exec
-- The entry changed (an attachment was added): a syncing phone must see it.
UPDATE log_entries SET version = version + 1, updated_at = @now WHERE id = @id;

-- name: GetAttachment :one
SELECT * FROM log_attachments WHERE id = @id;

-- name: ExistingAttachments :many
-- The ids among ids that have a row (the sweep keeps their files).
SELECT id FROM log_attachments WHERE id = ANY(@ids::uuid[]);
