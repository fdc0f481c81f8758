-- +goose Up
-- The visit planning rules, once, for both the adviser's planning queue
-- (visits.Planning) and the VISIT_TO_PLAN follow-up rule (followup.Rules), so
-- the two cannot drift. One row per ACTIVE contract with no open (PROPOSED or
-- CONFIRMED) visit, which would mean the visit is already planned:
--
--   FIRST_VISIT     no DONE visit yet: due on the start date + 30 days;
--   PERIODIC_VISIT  due 90 days after the local (Brussels) date of the last
--                   DONE visit.
--
-- warn_on is due_on minus the 7-day warning window: from that day on the
-- contract is in the queue and its adviser has a VISIT_TO_PLAN follow-up.
-- The day counts are visits.FirstVisitDays, IntervalDays and WarningDays.
CREATE VIEW visit_planning_due AS
SELECT c.id AS contract_id, c.adviser_id,
       CASE WHEN last.day IS NULL THEN 'FIRST_VISIT' ELSE 'PERIODIC_VISIT' END AS reason,
       COALESCE(last.day + 90, c.start_date + 30) AS due_on,
       COALESCE(last.day + 90, c.start_date + 30) - 7 AS warn_on
FROM contracts c
LEFT JOIN LATERAL (
    SELECT max((v.starts_at AT TIME ZONE 'Europe/Brussels')::date) AS day
    FROM visits v WHERE v.contract_id = c.id AND v.status = 'DONE'
) last ON true
WHERE c.status = 'ACTIVE'
  AND NOT EXISTS (SELECT 1 FROM visits v
                  WHERE v.contract_id = c.id AND v.status IN ('PROPOSED', 'CONFIRMED'));

-- Indexes the follow-up scan needs beyond those of the areas:
-- LOG_REVIEW_PENDING reads the entries waiting for review by submission time;
CREATE INDEX log_entries_pending_review_idx ON log_entries (submitted_at) WHERE status = 'SUBMITTED';
-- VISIT_UPCOMING reads the open visits starting tomorrow;
CREATE INDEX visits_open_starts_idx ON visits (starts_at) WHERE status IN ('PROPOSED', 'CONFIRMED');
-- the planning queue's third rule finds a contract's open follow-ups.
CREATE INDEX follow_ups_contract_open_idx ON follow_ups (contract_id, kind) WHERE status = 'OPEN';

-- +goose Down
DROP INDEX follow_ups_contract_open_idx;
DROP INDEX visits_open_starts_idx;
DROP INDEX log_entries_pending_review_idx;
DROP VIEW visit_planning_due;
