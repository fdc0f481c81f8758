-- Guardians (migration 00940). Links are read with the apprentice's
-- log-book sharing (log_book_shared), which the link's GraphQL type shows.

-- name: LockApprentice :one
-- The apprentice a link is made or changed for, locked (links of one
-- apprentice change one at a time).
SELECT id, role, active, erased_at, birth_date, locale FROM users WHERE id = @id FOR UPDATE;

-- name: UserByEmail :one
SELECT id, role, active, erased_at FROM users WHERE lower(email) = lower(@email::text);

-- name: CurrentLink :one
-- The link not ended between an apprentice and a guardian, locked.
SELECT * FROM guardian_links
WHERE apprentice_id = @apprentice_id AND guardian_id = @guardian_id AND status <> 'ENDED'
FOR UPDATE;

-- name: LatestLink :one
-- The current link between an apprentice and a guardian, else the latest
-- ended one, locked.
SELECT * FROM guardian_links
WHERE apprentice_id = @apprentice_id AND guardian_id = @guardian_id
ORDER BY (status <> 'ENDED') DESC, linked_at DESC, id DESC
LIMIT 1
FOR UPDATE;

-- name: InsertLink :one
INSERT INTO guardian_links (apprentice_id, guardian_id, relationship, basis, status, linked_by, linked_at)
VALUES (@apprentice_id, @guardian_id, @relationship, @basis, @status, @linked_by, @now)
RETURNING id;

-- name: EndLink :exec
UPDATE guardian_links SET status = 'ENDED', ended_at = @now::timestamptz, end_reason = @reason::text, ended_by = sqlc.narg('ended_by')::uuid
WHERE id = @id;

-- name: ConfirmLink :exec
-- The apprentice's consent: the link is active on that basis, whatever it
-- was (awaiting confirmation, or ended at majority).
UPDATE guardian_links SET status = 'ACTIVE', basis = 'APPRENTICE_CONSENT', confirmed_at = @now::timestamptz,
    ended_at = NULL, end_reason = NULL, ended_by = NULL
WHERE id = @id;

-- name: LinksByID :many
SELECT sqlc.embed(g), coalesce(s.log_book, false)::bool AS log_book_shared
FROM guardian_links g LEFT JOIN guardian_sharing s ON s.apprentice_id = g.apprentice_id
WHERE g.id = ANY(@ids::uuid[]);

-- name: LinksOfApprentice :many
SELECT sqlc.embed(g), coalesce(s.log_book, false)::bool AS log_book_shared
FROM guardian_links g LEFT JOIN guardian_sharing s ON s.apprentice_id = g.apprentice_id
WHERE g.apprentice_id = @apprentice_id
ORDER BY g.linked_at, g.id;

-- name: LinksOfGuardian :many
SELECT sqlc.embed(g), coalesce(s.log_book, false)::bool AS log_book_shared
FROM guardian_links g LEFT JOIN guardian_sharing s ON s.apprentice_id = g.apprentice_id
WHERE g.guardian_id = @guardian_id
  AND (sqlc.narg('apprentice_id')::uuid IS NULL OR g.apprentice_id = sqlc.narg('apprentice_id')::uuid)
ORDER BY g.linked_at, g.id;

-- name: Sharing :one
SELECT log_book, updated_at FROM guardian_sharing WHERE apprentice_id = @apprentice_id;

-- name: SetSharing :one
INSERT INTO guardian_sharing (apprentice_id, log_book, updated_at) VALUES (@apprentice_id, @log_book, @now)
ON CONFLICT (apprentice_id) DO UPDATE SET log_book = EXCLUDED.log_book, updated_at = EXCLUDED.updated_at
RETURNING log_book, updated_at;

-- name: GuardiansOfContracts :many
-- The active guardians of the apprentices of contracts, with the
-- apprentice's name (for their notifications).
SELECT c.id AS contract_id, g.guardian_id, (a.first_name || ' ' || a.last_name)::text AS apprentice_name
FROM contracts c
JOIN guardian_links g ON g.apprentice_id = c.apprentice_id AND g.status = 'ACTIVE'
JOIN users a ON a.id = c.apprentice_id
WHERE c.id = ANY(@contract_ids::uuid[])
ORDER BY c.id, g.guardian_id;

-- name: EndAtMajority :many
-- Every active link of an apprentice who is 18 on today (their 18th
-- birthday, by calendar arithmetic: born on 29 February, the 28th in a
-- common year) ends, unless the apprentice confirmed it on or after that
-- birthday (Brussels time). Set-based; the ended links come back with the
-- names their notifications need.
UPDATE guardian_links g SET status = 'ENDED', ended_at = @now::timestamptz, end_reason = 'MAJORITY', ended_by = NULL
FROM users a, users gu
WHERE a.id = g.apprentice_id AND gu.id = g.guardian_id
  AND g.status = 'ACTIVE' AND a.birth_date IS NOT NULL
  AND (a.birth_date + interval '18 years')::date <= @today::date
  AND (g.confirmed_at IS NULL
       OR (g.confirmed_at AT TIME ZONE 'Europe/Brussels')::date < (a.birth_date + interval '18 years')::date)
RETURNING g.id, g.apprentice_id, g.guardian_id,
    (a.first_name || ' ' || a.last_name)::text AS apprentice_name,
    (gu.first_name || ' ' || gu.last_name)::text AS guardian_name;

-- name: UserName :one
SELECT (first_name || ' ' || last_name)::text AS name FROM users WHERE id = @id;
