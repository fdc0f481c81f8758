-- The planning queue (see visits.Planning for the rules).

-- name: Planning :many
-- The ACTIVE contracts advised by the caller (every contract for an admin:
-- the queue is what the advisers own, not what the caller may see) that need a
-- visit, each once with its earliest due date, most overdue week first, then
-- higher risk (level, then score), then nearest, then by due date. A HIGH
-- risk makes a visit due today (reason RISK). Distances are measured from (near_lat,
-- near_lng) when given, else from the base of the adviser of the contract.
WITH due AS (
    SELECT DISTINCT ON (cases.contract_id) cases.contract_id, cases.reason, cases.due_on, cases.kind
    FROM (
        SELECT d.contract_id, d.reason, d.due_on, NULL::text AS kind
        FROM visit_planning_due d
        WHERE d.warn_on <= sqlc.arg(today)::date AND (@caller_role::text = 'ADMIN' OR d.adviser_id = @caller_id::uuid)
        UNION ALL
        -- A HIGH risk (internal/risk) makes a visit due at once.
        SELECT r.contract_id, 'RISK', sqlc.arg(today)::date, NULL::text
        FROM contract_risks r JOIN contracts c ON c.id = r.contract_id
        WHERE r.level = 'HIGH' AND c.status = 'ACTIVE'
          AND (@caller_role::text = 'ADMIN' OR c.adviser_id = @caller_id::uuid)
          AND NOT EXISTS (SELECT 1 FROM visits v
                          WHERE v.contract_id = c.id AND v.status IN ('PROPOSED', 'CONFIRMED'))
        UNION ALL
        SELECT f.contract_id, 'FOLLOW_UP', (f.due_at AT TIME ZONE 'Europe/Brussels')::date, f.kind
        FROM follow_ups f JOIN contracts c ON c.id = f.contract_id
        WHERE f.status = 'OPEN' AND f.kind = ANY(@flagging_kinds::text[])
          AND c.status = 'ACTIVE' AND (@caller_role::text = 'ADMIN' OR c.adviser_id = @caller_id::uuid)
          AND NOT EXISTS (SELECT 1 FROM visits v
                          WHERE v.contract_id = c.id AND v.status IN ('PROPOSED', 'CONFIRMED'))
    ) cases
    ORDER BY cases.contract_id, cases.due_on, cases.reason
)
SELECT due.contract_id, due.reason::text AS reason, due.due_on::date AS due_on,
       (sqlc.arg(today)::date - due.due_on)::int AS days_overdue,
       CASE WHEN o.lat IS NULL OR o.lng IS NULL OR co.latitude IS NULL OR co.longitude IS NULL THEN NULL
            ELSE 2 * 6371.0088 * asin(sqrt(
                power(sin(radians(co.latitude - o.lat) / 2), 2) +
                cos(radians(o.lat)) * cos(radians(co.latitude)) * power(sin(radians(co.longitude - o.lng) / 2), 2)))
       END AS distance_km,
       due.kind,
       r.level AS risk_level, coalesce(r.score, 0)::int AS risk_score
FROM due
JOIN contracts c ON c.id = due.contract_id
JOIN companies co ON co.id = c.company_id
JOIN users ad ON ad.id = c.adviser_id
LEFT JOIN contract_risks r ON r.contract_id = c.id
CROSS JOIN LATERAL (SELECT
    CASE WHEN sqlc.narg('near_lat')::float8 IS NULL THEN ad.base_latitude ELSE sqlc.narg('near_lat')::float8 END AS lat,
    CASE WHEN sqlc.narg('near_lat')::float8 IS NULL THEN ad.base_longitude ELSE sqlc.narg('near_lng')::float8 END AS lng) o
ORDER BY floor((sqlc.arg(today)::date - due.due_on) / 7.0) DESC, coalesce(r.level_rank, 0) DESC, coalesce(r.score, 0) DESC,
         distance_km ASC NULLS LAST, due.due_on, due.contract_id
LIMIT @lim;
