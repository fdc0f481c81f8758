-- name: ListFollowUps :many
-- The owner's follow-ups (with status, when given) after the cursor, soonest
-- due first (index follow_ups_owner_idx).
SELECT f.*
FROM follow_ups f
WHERE f.owner_id = @owner_id
  AND (sqlc.narg('status')::text IS NULL OR f.status = sqlc.narg('status'))
  AND (sqlc.narg('after_due_at')::timestamptz IS NULL
       OR (f.due_at, f.id) > (sqlc.narg('after_due_at')::timestamptz, sqlc.narg('after_id')::uuid))
ORDER BY f.due_at, f.id
LIMIT @max_rows;

-- name: CountFollowUps :one
SELECT count(*) FROM follow_ups f
WHERE f.owner_id = @owner_id
  AND (sqlc.narg('status')::text IS NULL OR f.status = sqlc.narg('status'));

-- name: OwnFollowUps :many
-- The owner's follow-ups among ids (any order).
SELECT f.*
FROM follow_ups f
WHERE f.owner_id = @owner_id AND f.id = ANY(@ids::uuid[]);

-- name: LockFollowUp :one
SELECT f.*
FROM follow_ups f WHERE f.id = @id FOR UPDATE;

-- name: DismissFollowUp :one
UPDATE follow_ups f SET status = 'DISMISSED', closed_at = @now::timestamptz
WHERE f.id = @id
RETURNING f.*;

-- name: ContractVisible :one
-- Whether the caller may see the contract (a member who is not the owner
-- gets FORBIDDEN rather than NOT_FOUND).
SELECT count(*) > 0 AS visible FROM visible_contracts(@caller_id, @caller_role) c WHERE c.id = @contract_id::uuid;

-- name: ListWardFollowUps :many
-- A guardian's view: the OPEN follow-ups owned by their wards (the
-- apprentices of their active links), after the cursor, soonest due first.
SELECT f.*
FROM follow_ups f
WHERE f.owner_id = ANY(@ward_ids::uuid[]) AND f.status = 'OPEN'
  AND (sqlc.narg('after_due_at')::timestamptz IS NULL
       OR (f.due_at, f.id) > (sqlc.narg('after_due_at')::timestamptz, sqlc.narg('after_id')::uuid))
ORDER BY f.due_at, f.id
LIMIT @max_rows;

-- name: CountWardFollowUps :one
SELECT count(*) FROM follow_ups f WHERE f.owner_id = ANY(@ward_ids::uuid[]) AND f.status = 'OPEN';

-- name: WardFollowUps :many
-- The OPEN follow-ups among ids owned by the wards (any order).
SELECT f.*
FROM follow_ups f
WHERE f.owner_id = ANY(@ward_ids::uuid[]) AND f.status = 'OPEN' AND f.id = ANY(@ids::uuid[]);
