-- Day tours (visits.Service.Tour and ScheduleTour).

-- name: AdviserBase :one
-- The adviser's base (null coordinates when none is set).
SELECT base_latitude, base_longitude FROM users WHERE id = @id;

-- name: TourPlaces :many
-- The coordinates of the companies of the contracts among contract_ids
-- whose company has coordinates (the others cannot be routed), any order.
SELECT c.id AS contract_id, co.latitude::float8 AS lat, co.longitude::float8 AS lng
FROM contracts c JOIN companies co ON co.id = c.company_id
WHERE c.id = ANY(@contract_ids::uuid[]) AND co.latitude IS NOT NULL AND co.longitude IS NOT NULL;

-- name: AdviserDayVisits :many
-- The adviser's visits, not cancelled, overlapping [day_start, day_end),
-- with the coordinates of their company (null when unknown), by start
-- (index visits_adviser_idx).
SELECT sqlc.embed(v), co.latitude AS lat, co.longitude AS lng
FROM visits v
JOIN contracts c ON c.id = v.contract_id
JOIN companies co ON co.id = c.company_id
WHERE v.adviser_id = @adviser_id AND v.status <> 'CANCELLED'
  AND v.starts_at < @day_end::timestamptz AND v.ends_at > @day_start::timestamptz
ORDER BY v.starts_at, v.id;

-- name: SameOpenVisit :one
-- An open visit of the adviser on the contract at exactly these times: the
-- one an earlier attempt of the same tour scheduled (a retry keeps it).
SELECT * FROM visits
WHERE contract_id = @contract_id AND adviser_id = @adviser_id
  AND starts_at = @starts_at AND ends_at = @ends_at AND status IN ('PROPOSED', 'CONFIRMED')
ORDER BY id LIMIT 1;
