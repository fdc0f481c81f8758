-- Reads of the log book. Lists and counts select from
-- filtered_log_entries (migration 00810), the one definition of the
-- status/from/to/updatedSince filter; a NULL filter argument does not filter.
-- Who may read a contract's log book is log_book_contracts() (migration
-- 00940): visible_contracts(), less the wards of a guardian who do not share
-- their log book.

-- name: VisibleEntries :many
-- The entries among ids of contracts the caller may see (any order).
SELECT e.* FROM log_entries e
JOIN log_book_contracts(@caller_id, @caller_role) c ON c.id = e.contract_id
WHERE e.id = ANY(@ids::uuid[]);

-- name: VisibleAttachments :many
-- The attachments among ids whose entry belongs to a contract the caller may see.
SELECT a.* FROM log_attachments a
JOIN log_entries e ON e.id = a.log_entry_id
JOIN log_book_contracts(@caller_id, @caller_role) c ON c.id = e.contract_id
WHERE a.id = ANY(@ids::uuid[]);

-- name: LogBookContracts :many
-- The contracts among ids whose log book the caller may read (a guardian:
-- those of wards who share it).
SELECT c.id FROM log_book_contracts(@caller_id, @caller_role) c WHERE c.id = ANY(@ids::uuid[]);

-- The page statements of the log-book screens (PageOfContract,
-- PageOfVisible) are built per request in internal/logbook/pagesql.go:
-- their text depends on the filters and the fields asked for, so that
-- PostgreSQL can keep a plan for each shape.

-- name: FirstEntriesOf :many
-- The first lim entries of each contract (already authorized), newest
-- first: one index range per contract.
SELECT e.* FROM unnest(@contract_ids::uuid[]) AS p(contract_id)
CROSS JOIN LATERAL (
    SELECT f.* FROM filtered_log_entries(sqlc.narg('status')::text, sqlc.narg('from_date')::date, sqlc.narg('to_date')::date, sqlc.narg('updated_since')::timestamptz) f
    WHERE f.contract_id = p.contract_id
    ORDER BY f.entry_date DESC, f.id DESC
    LIMIT @lim::int
) e
ORDER BY e.contract_id, e.entry_date DESC, e.id DESC;

-- name: CountEntriesOf :many
-- How many entries each contract (already authorized) has (contracts with
-- none are left out).
SELECT e.contract_id, count(*) AS n
FROM filtered_log_entries(sqlc.narg('status')::text, sqlc.narg('from_date')::date, sqlc.narg('to_date')::date, sqlc.narg('updated_since')::timestamptz) e
WHERE e.contract_id = ANY(@contract_ids::uuid[])
GROUP BY e.contract_id;

-- name: CountVisibleEntries :one
-- How many entries ListVisibleEntries returns over all pages.
SELECT count(*) FROM filtered_log_entries(sqlc.narg('status')::text, sqlc.narg('from_date')::date, sqlc.narg('to_date')::date, sqlc.narg('updated_since')::timestamptz) e
JOIN log_book_contracts(@caller_id, @caller_role) c ON c.id = e.contract_id;

-- name: DeletedEntries :many
-- Tombstones of drafts deleted after since, in one contract or every
-- contract the caller may see, oldest first.
SELECT t.* FROM log_entry_tombstones t
JOIN log_book_contracts(@caller_id, @caller_role) c ON c.id = t.contract_id
WHERE (sqlc.narg('contract_id')::uuid IS NULL OR t.contract_id = sqlc.narg('contract_id'))
  AND t.deleted_at > @since::timestamptz
ORDER BY t.deleted_at
LIMIT @lim::int;

-- name: CompetenciesOf :many
-- The competencies of entries (already authorized), in the order of each entry.
SELECT lec.log_entry_id, k.id, k.trade_id, k.code, k.title, k.grp, k.position
FROM log_entry_competencies lec JOIN competencies k ON k.id = lec.competency_id
WHERE lec.log_entry_id = ANY(@entry_ids::uuid[])
ORDER BY lec.position;

-- name: AttachmentsOf :many
-- The attachments of entries (already authorized), oldest first.
SELECT * FROM log_attachments
WHERE log_entry_id = ANY(@entry_ids::uuid[])
ORDER BY created_at, id;

-- name: ProgressOf :many
-- For each contract (already authorized), every competency of its trade in
-- framework order with how many validated entries practised it and when last.
SELECT c.id AS contract_id, k.id AS competency_id, count(p.entry_date)::int AS times_practised,
    max(p.entry_date) AS last_practised_on
FROM contracts c
JOIN competencies k ON k.trade_id = c.trade_id
LEFT JOIN (
    SELECT e.contract_id, lec.competency_id, e.entry_date
    FROM log_entries e JOIN log_entry_competencies lec ON lec.log_entry_id = e.id
    WHERE e.contract_id = ANY(@contract_ids::uuid[]) AND e.status = 'VALIDATED'
) p ON p.contract_id = c.id AND p.competency_id = k.id
WHERE c.id = ANY(@contract_ids::uuid[])
GROUP BY c.id, k.id
ORDER BY c.id, k.position, k.code;

-- name: WeeklyHours :many
-- For each contract among contract_ids that the caller may see, its dates
-- and weekly hours with, per ISO week (Monday) overlapping from_date..to_date,
-- the hours logged in the range (any status) and validated.
SELECT c.id AS contract_id, c.start_date, c.end_date, c.weekly_hours::float8 AS weekly_hours,
    wk.week_start::date AS week_start,
    coalesce(s.logged, 0)::float8 AS logged, coalesce(s.validated, 0)::float8 AS validated
FROM visible_contracts(@caller_id, @caller_role) c
CROSS JOIN generate_series(date_trunc('week', (@from_date::date)::timestamp), (@to_date::date)::timestamp, interval '1 week') AS wk(week_start)
LEFT JOIN (
    SELECT e.contract_id, date_trunc('week', e.entry_date::timestamp) AS week_start, sum(e.hours) AS logged,
        sum(e.hours) FILTER (WHERE e.status = 'VALIDATED') AS validated
    FROM log_entries e
    WHERE e.contract_id = ANY(@contract_ids::uuid[]) AND e.entry_date BETWEEN @from_date::date AND @to_date::date
    GROUP BY 1, 2
) s ON s.contract_id = c.id AND s.week_start = wk.week_start
WHERE c.id = ANY(@contract_ids::uuid[])
ORDER BY c.id, wk.week_start;
