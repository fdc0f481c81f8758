-- Reads of the risk area. The computation's own statements are in
-- internal/risk/compute.go (set-based, hand-written).

-- name: RisksOf :many
-- The current risk of the contracts among ids that the caller may see (any
-- order; contracts without a computed risk are absent).
SELECT r.contract_id, r.level, r.score, r.reasons, r.computed_at
FROM contract_risks r
JOIN visible_contracts(@caller_id, @caller_role) c ON c.id = r.contract_id
WHERE r.contract_id = ANY(@ids::uuid[]);

-- name: History :many
-- The weekly snapshots of the contracts among ids the caller may see, from
-- the week of @since on, oldest first.
SELECT s.contract_id, s.week, s.level, s.score, s.reasons, s.computed_at
FROM risk_snapshots s
JOIN visible_contracts(@caller_id, @caller_role) c ON c.id = s.contract_id
WHERE s.contract_id = ANY(@ids::uuid[]) AND s.week >= @since::date
ORDER BY s.contract_id, s.week;

-- name: Caseload :many
-- The ACTIVE contracts of an adviser (every adviser when adviser_id is
-- NULL) at or above a risk rank, one page after the cursor, in one of three
-- orders chosen from a whitelist (@sort): RISK (rank and score, highest
-- first), NEXT_VISIT (the first open visit not ended at @now, soonest
-- first, none last), NAME (the apprentice's last and first names). Each row
-- carries the current risk, the last intervention and the count of open
-- follow-ups on the contract.
WITH rows AS (
    SELECT c.id AS contract_id,
           r.level, r.score, r.reasons, r.computed_at,
           (coalesce(r.level_rank, 0) * 1000000 + coalesce(r.score, 0))::bigint AS risk_key,
           coalesce(nv.starts_at, '9999-12-31T00:00:00Z'::timestamptz)::timestamptz AS sort_at,
           lower(a.last_name || ' ' || a.first_name)::text AS sort_name,
           -- The last intervention as a JSON object (NULL when none): a
           -- LATERAL row's columns would be typed NOT NULL by sqlc.
           (CASE WHEN li.id IS NULL THEN NULL ELSE to_jsonb(li.*) END)::jsonb AS last_intervention,
           fu.n AS open_follow_ups
    FROM contracts c
    JOIN users a ON a.id = c.apprentice_id
    LEFT JOIN contract_risks r ON r.contract_id = c.id
    LEFT JOIN LATERAL (SELECT v.starts_at FROM visits v
                       WHERE v.contract_id = c.id AND v.status IN ('PROPOSED', 'CONFIRMED') AND v.ends_at > @now::timestamptz
                       ORDER BY v.starts_at, v.id LIMIT 1) nv ON true
    LEFT JOIN LATERAL (SELECT i.* FROM interventions i WHERE i.contract_id = c.id
                       ORDER BY i.created_at DESC, i.id DESC LIMIT 1) li ON true
    CROSS JOIN LATERAL (SELECT count(*)::int AS n FROM follow_ups f
                        WHERE f.contract_id = c.id AND f.status = 'OPEN') fu
    WHERE c.status = 'ACTIVE'
      AND (sqlc.narg('adviser_id')::uuid IS NULL OR c.adviser_id = sqlc.narg('adviser_id')::uuid)
      AND coalesce(r.level_rank, 0) >= @min_rank::int
)
SELECT * FROM rows
WHERE sqlc.narg('after_id')::uuid IS NULL
   OR (@sort::text = 'RISK' AND (rows.risk_key < sqlc.narg('after_risk')::bigint
        OR (rows.risk_key = sqlc.narg('after_risk')::bigint AND rows.contract_id > sqlc.narg('after_id')::uuid)))
   OR (@sort::text = 'NEXT_VISIT' AND (rows.sort_at, rows.contract_id) > (sqlc.narg('after_at')::timestamptz, sqlc.narg('after_id')::uuid))
   OR (@sort::text = 'NAME' AND (rows.sort_name, rows.contract_id) > (sqlc.narg('after_name')::text, sqlc.narg('after_id')::uuid))
ORDER BY CASE WHEN @sort::text = 'RISK' THEN rows.risk_key END DESC,
         CASE WHEN @sort::text = 'NEXT_VISIT' THEN rows.sort_at END,
         CASE WHEN @sort::text = 'NAME' THEN rows.sort_name END,
         rows.contract_id
LIMIT @max_rows;

-- name: CountCaseload :one
SELECT count(*)::int FROM contracts c
LEFT JOIN contract_risks r ON r.contract_id = c.id
WHERE c.status = 'ACTIVE'
  AND (sqlc.narg('adviser_id')::uuid IS NULL OR c.adviser_id = sqlc.narg('adviser_id')::uuid)
  AND coalesce(r.level_rank, 0) >= @min_rank::int;

-- name: IsAdviser :one
SELECT count(*) > 0 AS adviser FROM users u WHERE u.id = @id AND u.role = 'ADVISER';

-- name: InterventionsOf :many
-- The newest interventions of each contract among ids that the caller may
-- see, at most @per_contract each, newest first.
SELECT x.id, x.client_id, x.contract_id, x.author_id, x.kind, x.note, x.agreed_actions, x.next_check_on, x.created_at
FROM (SELECT i.*, row_number() OVER (PARTITION BY i.contract_id ORDER BY i.created_at DESC, i.id DESC) AS rn
      FROM interventions i
      JOIN visible_contracts(@caller_id, @caller_role) c ON c.id = i.contract_id
      WHERE i.contract_id = ANY(@ids::uuid[])) x
WHERE x.rn <= @per_contract::int
ORDER BY x.contract_id, x.created_at DESC, x.id DESC;

-- name: ContractForIntervention :one
-- The contract an intervention is recorded on, if the caller sees it.
SELECT c.* FROM visible_contracts(@caller_id, @caller_role) c
WHERE c.id = @contract_id::uuid;

-- name: InterventionByClientID :one
SELECT * FROM interventions WHERE client_id = @client_id;

-- name: InsertIntervention :one
INSERT INTO interventions (id, client_id, contract_id, author_id, kind, note, agreed_actions, next_check_on, created_at)
VALUES (@id, @client_id, @contract_id, @author_id, @kind, @note, @agreed_actions, sqlc.narg('next_check_on')::date, @created_at)
ON CONFLICT (client_id) DO NOTHING
RETURNING *;

-- name: DigestCounts :many
-- Per adviser with ACTIVE contracts: how many are HIGH and WATCH now, how
-- many changed level since @since's snapshot week, and whether this week's
-- digest was sent already.
SELECT c.adviser_id,
       count(*) FILTER (WHERE r.level = 'HIGH')::int AS high,
       count(*) FILTER (WHERE r.level = 'WATCH')::int AS watch,
       count(*) FILTER (WHERE p.level IS NOT NULL AND p.level <> r.level)::int AS changed
FROM contracts c
JOIN contract_risks r ON r.contract_id = c.id
LEFT JOIN risk_snapshots p ON p.contract_id = c.id AND p.week = @previous_week::date
WHERE c.status = 'ACTIVE'
  AND NOT EXISTS (SELECT 1 FROM risk_digests d WHERE d.adviser_id = c.adviser_id AND d.week = @week::date)
GROUP BY c.adviser_id
ORDER BY c.adviser_id;

-- name: MarkDigestsSent :many
INSERT INTO risk_digests (adviser_id, week, sent_at)
SELECT unnest(@advisers::uuid[]), @week::date, @sent_at::timestamptz
ON CONFLICT DO NOTHING
RETURNING adviser_id;

