-- name: VisibleContracts :many
-- The contracts among ids that the caller may see (any order).
SELECT c.* FROM visible_contracts(@caller_id, @caller_role) c
WHERE c.id = ANY(@ids::uuid[]);
