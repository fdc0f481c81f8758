-- Writes of the log book and the reads they make inside their transaction.

-- name: CountTradeCompetencies :one
SELECT count(*) FROM competencies WHERE trade_id = @trade_id AND id = ANY(@ids::uuid[]);

-- name: DayTotal :one
-- The hours of one day of a contract (served by log_entries_contract_day_idx).
SELECT coalesce(sum(hours), 0)::float8 AS total FROM log_entries
WHERE contract_id = @contract_id AND entry_date = @day;

-- name: ClearEntryCompetencies :exec
DELETE FROM log_entry_competencies WHERE log_entry_id = @log_entry_id;

-- name: AddEntryCompetencies :exec
-- Competencies in their given order (position 1, 2, ...).
INSERT INTO log_entry_competencies (log_entry_id, competency_id, position)
SELECT @log_entry_id, t.id, t.ord FROM unnest(@competency_ids::uuid[]) WITH ORDINALITY AS t(id, ord);

-- name: EntryCompetencyIDs :many
SELECT competency_id FROM log_entry_competencies WHERE log_entry_id = @log_entry_id ORDER BY position;

-- name: TombstoneExists :one
SELECT EXISTS (SELECT 1 FROM log_entry_tombstones WHERE client_id = @client_id);

-- name: InsertEntry :one
-- No row when client_id is taken (a copy of the same create won the race).
INSERT INTO log_entries AS e
    (client_id, create_digest, contract_id, entry_date, hours, activities, status, submitted_at, created_at, updated_at)
VALUES (@client_id, @create_digest, @contract_id, @entry_date, @hours, @activities, @status, @submitted_at, @now, @now)
ON CONFLICT (client_id) DO NOTHING
RETURNING *;

-- name: EntryByClientID :one
SELECT id, create_digest FROM log_entries WHERE client_id = @client_id;

-- name: GetEntry :one
SELECT * FROM log_entries WHERE id = @id;

-- name: EntryContractID :one
SELECT contract_id FROM log_entries WHERE id = @id;

-- name: LockEntry :one
SELECT * FROM log_entries WHERE id = @id FOR UPDATE;

-- name: UpdateEntry :one
UPDATE log_entries SET entry_date = @entry_date, hours = @hours, activities = @activities,
    status = @status, submitted_at = @submitted_at, version = version + 1, updated_at = @now
WHERE id = @id
RETURNING *;

-- name: SubmitEntry :one
UPDATE log_entries SET status = 'SUBMITTED', submitted_at = @now::timestamptz, version = version + 1, updated_at = @now::timestamptz
WHERE id = @id
RETURNING *;

-- name: DeleteEntry :exec
DELETE FROM log_entries WHERE id = @id;

-- name: InsertTombstone :exec
INSERT INTO log_entry_tombstones (log_entry_id, client_id, contract_id, deleted_at)
VALUES (@log_entry_id, @client_id, @contract_id, @deleted_at);

-- name: LockEntries :many
-- Locked in id order, so two batch reviews cannot deadlock.
SELECT * FROM log_entries WHERE id = ANY(@ids::uuid[]) ORDER BY id FOR UPDATE;

-- name: ReviewEntries :many
UPDATE log_entries SET status = @status, reviewer_id = @reviewer_id::uuid, review_decision = @decision::text,
    review_comment = @comment::text, reviewed_at = @now::timestamptz, version = version + 1, updated_at = @now::timestamptz
WHERE id = ANY(@ids::uuid[])
RETURNING *;

-- name: UserName :one
SELECT (first_name || ' ' || last_name)::text AS name FROM users WHERE id = @id;
