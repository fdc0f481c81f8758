-- name: VisibleContracts :many
-- The contracts among ids that the caller may see (any order).
SELECT c.* FROM visible_contracts(@caller_id, @caller_role) c
WHERE c.id = ANY(@ids::uuid[]);

-- name: ContractsByID :many
-- The contracts among ids, without an authorization check (loaders of a
-- record already authorized); any order.
SELECT * FROM contracts WHERE id = ANY(@ids::uuid[]);

-- name: ContractForUpdate :one
-- One contract, its row locked until the transaction ends.
SELECT * FROM contracts WHERE id = @id FOR UPDATE;

-- name: ListContracts :many
-- A page of the caller's contracts, newest start first (keyset after
-- (after_date, after_id) when given).
SELECT c.* FROM visible_contracts(@caller_id, @caller_role) c
WHERE (sqlc.narg('status')::text IS NULL OR c.status = sqlc.narg('status'))
  AND (sqlc.narg('after_date')::date IS NULL OR (c.start_date, c.id) < (sqlc.narg('after_date')::date, sqlc.narg('after_id')::uuid))
ORDER BY c.start_date DESC, c.id DESC
LIMIT @lim;

-- name: CountContracts :one
SELECT count(*) FROM visible_contracts(@caller_id, @caller_role) c
WHERE (sqlc.narg('status')::text IS NULL OR c.status = sqlc.narg('status'));

-- name: InsertContract :one
INSERT INTO contracts (apprentice_id, company_id, tutor_id, adviser_id,
    centre_id, trade_id, start_date, end_date, weekly_hours, status)
VALUES (@apprentice_id, @company_id, @tutor_id, @adviser_id,
    @centre_id, @trade_id, @start_date, @end_date, @weekly_hours, 'ACTIVE')
RETURNING *;

-- name: SetContractStatus :one
UPDATE contracts SET status = @status, updated_at = now()
WHERE id = @id RETURNING *;

-- name: SetContractDates :one
UPDATE contracts SET start_date = @start_date, end_date = @end_date, updated_at = now()
WHERE id = @id RETURNING *;
