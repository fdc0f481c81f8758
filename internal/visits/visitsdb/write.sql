-- Changing visits: schedule, reschedule, confirm, cancel, complete, and the
-- periodic "mark missed".

-- name: CompanyAddress :one
-- The default place of a visit: the postal address of the company.
SELECT (street || ', ' || postal_code || ' ' || city)::text FROM companies WHERE id = @company_id;

-- name: LockAdviserVisits :exec
-- Queues concurrent writes of the visits of one adviser until the transaction
-- ends (see insertOrConflict).
SELECT pg_advisory_xact_lock(hashtextextended('visits/adviser/' || sqlc.arg(adviser_id)::uuid::text, 0));

-- name: OverlappingVisit :one
-- The first visit of the adviser other than except_id, not cancelled, that
-- overlaps [starts_at, ends_at).
SELECT id FROM visits
WHERE adviser_id = @adviser_id AND status <> 'CANCELLED' AND id <> @except_id
  AND tstzrange(starts_at, ends_at) && tstzrange(@starts_at::timestamptz, @ends_at::timestamptz)
ORDER BY starts_at LIMIT 1;

-- name: InsertVisit :one
INSERT INTO visits (contract_id, adviser_id, starts_at, ends_at, place, purpose, created_at, updated_at)
VALUES (@contract_id, @adviser_id, @starts_at, @ends_at, @place, @purpose, @now, @now)
RETURNING *;

-- name: LockVisit :one
-- A visit, locked until the transaction ends.
SELECT * FROM visits WHERE id = @id FOR UPDATE;

-- name: RescheduleVisit :one
-- New times: both confirmations are reset and the visit is PROPOSED again.
UPDATE visits SET starts_at = @starts_at, ends_at = @ends_at, status = 'PROPOSED',
    tutor_confirmed_at = NULL, apprentice_confirmed_at = NULL, sequence = sequence + 1, updated_at = @now
WHERE id = @id
RETURNING *;

-- name: ConfirmVisit :one
-- Records the confirmation of the tutor (as_tutor) or of the apprentice.
UPDATE visits SET
    tutor_confirmed_at = CASE WHEN @as_tutor::boolean THEN @now::timestamptz ELSE tutor_confirmed_at END,
    apprentice_confirmed_at = CASE WHEN @as_tutor::boolean THEN apprentice_confirmed_at ELSE @now::timestamptz END,
    updated_at = @now::timestamptz
WHERE id = @id
RETURNING *;

-- name: MarkVisitConfirmed :one
-- Both have confirmed: the calendar shows the visit as confirmed.
UPDATE visits SET status = 'CONFIRMED', sequence = sequence + 1
WHERE id = @id
RETURNING *;

-- name: CancelVisit :one
UPDATE visits SET status = 'CANCELLED', cancel_reason = @reason::text, sequence = sequence + 1, updated_at = @now
WHERE id = @id
RETURNING *;

-- name: CompleteVisit :one
UPDATE visits SET status = 'DONE', report_summary = @summary::text, report_outcome = @outcome::text,
    report_actions = @actions::text, completed_at = @now::timestamptz, sequence = sequence + 1, updated_at = @now::timestamptz
WHERE id = @id
RETURNING *;

-- name: NotificationNames :one
-- What a visit notification names: the adviser and the company.
SELECT (u.first_name || ' ' || u.last_name)::text AS adviser_name, co.name AS company_name
FROM users u, companies co WHERE u.id = @adviser_id AND co.id = @company_id;

-- name: MarkMissed :many
-- Every visit still PROPOSED or CONFIRMED that ended at or before
-- ended_by becomes MISSED, in one statement; each changed visit comes back
-- with the details of its audit entry.
UPDATE visits v SET status = 'MISSED', sequence = v.sequence + 1, updated_at = @now
FROM (SELECT id, status FROM visits
      WHERE status IN ('PROPOSED', 'CONFIRMED') AND ends_at <= @ended_by::timestamptz
      FOR UPDATE) old
WHERE v.id = old.id AND v.status IN ('PROPOSED', 'CONFIRMED')
RETURNING v.id, v.contract_id, v.starts_at, jsonb_build_object('previousStatus', old.status, 'endsAt', v.ends_at) AS details;
