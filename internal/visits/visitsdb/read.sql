-- Reading visits: by id, the lists of the caller, and the batches behind
-- Contract.visits and Contract.nextVisit. Filters go through
-- visits_matching() and visibility through visible_contracts(), both
-- defined once in SQL (migrations 00820 and 00800).

-- name: VisibleVisits :many
-- The visits among ids of contracts the caller may see (any order).
SELECT v.* FROM visits v
JOIN visible_contracts(@caller_id, @caller_role) c ON c.id = v.contract_id
WHERE v.id = ANY(@ids::uuid[]);

-- name: ListVisits :many
-- A page of the visits of the contracts the caller may see, by start time,
-- after the cursor (after_starts_at, after_id) when given.
SELECT v.* FROM visits_matching(sqlc.narg('from'), sqlc.narg('to'), sqlc.narg('status')) v
JOIN visible_contracts(@caller_id, @caller_role) c ON c.id = v.contract_id
WHERE (sqlc.narg('after_starts_at')::timestamptz IS NULL
       OR (v.starts_at, v.id) > (sqlc.narg('after_starts_at')::timestamptz, sqlc.narg('after_id')::uuid))
ORDER BY v.starts_at, v.id
LIMIT @lim;

-- name: CountVisits :one
-- How many visits ListVisits returns over all pages.
SELECT count(*) FROM visits_matching(sqlc.narg('from'), sqlc.narg('to'), sqlc.narg('status')) v
JOIN visible_contracts(@caller_id, @caller_role) c ON c.id = v.contract_id;

-- name: ContractVisits :many
-- The first lim visits of each contract (by start time, after the cursor
-- when given): one index scan per contract. The contracts were reached
-- through an authorized path.
SELECT v.* FROM unnest(@contract_ids::uuid[]) AS parent(id)
CROSS JOIN LATERAL (
    SELECT m.* FROM visits_matching(sqlc.narg('from'), sqlc.narg('to'), sqlc.narg('status')) m
    WHERE m.contract_id = parent.id
      AND (sqlc.narg('after_starts_at')::timestamptz IS NULL
           OR (m.starts_at, m.id) > (sqlc.narg('after_starts_at')::timestamptz, sqlc.narg('after_id')::uuid))
    ORDER BY m.starts_at, m.id
    LIMIT @lim
) v
ORDER BY v.contract_id, v.starts_at, v.id;

-- name: CountContractVisits :many
-- How many visits of each contract match (contracts with none are absent).
SELECT v.contract_id, count(*) FROM visits_matching(sqlc.narg('from'), sqlc.narg('to'), sqlc.narg('status')) v
WHERE v.contract_id = ANY(@contract_ids::uuid[])
GROUP BY v.contract_id;

-- name: NextVisits :many
-- The first open visit of each contract that has not ended at at (contracts
-- with none are absent).
SELECT DISTINCT ON (v.contract_id) v.* FROM visits v
WHERE v.contract_id = ANY(@contract_ids::uuid[]) AND v.status IN ('PROPOSED', 'CONFIRMED') AND v.ends_at > @at
ORDER BY v.contract_id, v.starts_at, v.id;
