-- The record access log (migration 00950).

-- name: RecordReads :exec
-- One row per apprentice of the contracts read, for this reader, kind and
-- day; a row already there is kept (its first_read_at stays the first).
INSERT INTO record_access (apprentice_id, reader_id, reader_role, kind, day, first_read_at)
SELECT DISTINCT c.apprentice_id, @reader_id::uuid, @reader_role::text, @kind::text, @day::date, @now::timestamptz
FROM contracts c
WHERE c.id = ANY(@contract_ids::uuid[]) AND c.apprentice_id <> @reader_id::uuid
ON CONFLICT ON CONSTRAINT record_access_once_a_day DO NOTHING;

-- name: ListAccess :many
-- A page of the reads of an apprentice's record, newest first, with the
-- reader's current name (their pseudonym once erased).
SELECT r.id, r.reader_role, r.kind, r.day, r.first_read_at, u.first_name, u.last_name
FROM record_access r JOIN users u ON u.id = r.reader_id
WHERE r.apprentice_id = @apprentice_id
  AND (sqlc.narg('after_at')::timestamptz IS NULL
       OR (r.first_read_at, r.id) < (sqlc.narg('after_at')::timestamptz, sqlc.narg('after_id')::uuid))
ORDER BY r.first_read_at DESC, r.id DESC
LIMIT @lim;

-- name: CountAccess :one
SELECT count(*) FROM record_access WHERE apprentice_id = @apprentice_id;
