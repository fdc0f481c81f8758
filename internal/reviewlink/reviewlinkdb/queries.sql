-- name: TutorOf :one
-- The user a link is issued for: only an active tutor gets one.
SELECT role, active FROM users WHERE id = @id;

-- name: InsertLink :exec
INSERT INTO review_links (id, tutor_id, token_hash, created_at, expires_at)
VALUES (@id, @tutor_id, @token_hash, @now::timestamptz, @expires_at::timestamptz);

-- name: LinkByID :one
-- A link with what the page needs of its tutor (role and active checked at
-- every use, locale for the page's language).
SELECT sqlc.embed(l), u.role, u.active, u.locale, u.first_name, u.last_name
FROM review_links l JOIN users u ON u.id = l.tutor_id
WHERE l.id = @id;

-- name: LockLink :one
-- The same, the link row locked until the transaction ends: an action, its
-- binding and a concurrent revocation are serialized.
SELECT sqlc.embed(l), u.role, u.active, u.locale, u.first_name, u.last_name
FROM review_links l JOIN users u ON u.id = l.tutor_id
WHERE l.id = @id
FOR UPDATE OF l;

-- name: UseLink :exec
-- Binds the link to the browser at its first action and notes its use.
UPDATE review_links
SET browser_hash = coalesce(browser_hash, @browser_hash), used_at = coalesce(used_at, @now::timestamptz),
    last_used_at = @now::timestamptz
WHERE id = @id;

-- name: MarkRenewed :execrows
-- Notes that a fresh link was mailed in this one's place; 0 rows when that
-- was already done (one fresh link per link).
UPDATE review_links SET renewed_at = @now::timestamptz WHERE id = @id AND renewed_at IS NULL;

-- name: RevokeLinksOf :execrows
-- Revokes every link of the tutor that still works.
UPDATE review_links SET revoked_at = @now::timestamptz
WHERE tutor_id = @tutor_id AND revoked_at IS NULL AND expires_at > @now::timestamptz;
