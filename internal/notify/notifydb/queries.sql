-- name: Recipients :many
-- Each recipient's language (of the inbox text), notification preferences
-- (which channels, when; NULL when never changed: the defaults apply),
-- whether they have a device seen since @active_since, and whether they can
-- be mailed (an active account whose address has not failed), in one
-- statement for a whole fan-out.
SELECT u.id, u.locale, p.quiet_hours_start, p.quiet_hours_end, p.timezone, p.muted_kinds, p.channels, p.digest,
       EXISTS (SELECT 1 FROM devices d WHERE d.user_id = u.id AND d.last_seen_at >= @active_since::timestamptz)::bool AS has_device,
       (u.active AND NOT EXISTS (SELECT 1 FROM mail_failures f WHERE f.user_id = u.id
                                 AND f.address_sha256 = sha256(convert_to(lower(u.email), 'UTF8'))))::bool AS mailable
FROM users u
LEFT JOIN notification_preferences p ON p.user_id = u.id
WHERE u.id = ANY(@ids::uuid[]);

-- name: List :many
-- The caller's inbox, newest first, from the keyset cursor (@after_time,
-- @after_id) when given; LIMIT is one more than the page to see if another follows.
SELECT n.id, n.user_id, n.kind, n.title, n.body, n.link, n.created_at, n.read_at
FROM notifications n
WHERE n.user_id = @user_id
  AND (NOT @unread_only::bool OR n.read_at IS NULL)
  AND (sqlc.narg('after_time')::timestamptz IS NULL
       OR (n.created_at, n.id) < (sqlc.narg('after_time')::timestamptz, sqlc.narg('after_id')::uuid))
ORDER BY n.created_at DESC, n.id DESC
LIMIT @lim::int;

-- name: Count :one
SELECT count(*)::int FROM notifications n
WHERE n.user_id = @user_id AND (NOT @unread_only::bool OR n.read_at IS NULL);

-- name: MarkRead :many
-- Those already read keep their time.
UPDATE notifications n SET read_at = coalesce(n.read_at, @now::timestamptz)
WHERE n.id = ANY(@ids::uuid[]) AND n.user_id = @user_id
RETURNING n.id, n.user_id, n.kind, n.title, n.body, n.link, n.created_at, n.read_at;

-- name: MarkAllRead :execrows
UPDATE notifications SET read_at = @now::timestamptz
WHERE user_id = @user_id AND read_at IS NULL;

-- name: Visible :many
-- The caller's notifications among @ids (any order).
SELECT n.id, n.user_id, n.kind, n.title, n.body, n.link, n.created_at, n.read_at
FROM notifications n
WHERE n.user_id = @user_id AND n.id = ANY(@ids::uuid[]);

-- name: Get :one
-- One notification whoever its recipient: for live delivery, which already
-- knows the recipient from the announcement.
SELECT n.id, n.user_id, n.kind, n.title, n.body, n.link, n.created_at, n.read_at
FROM notifications n
WHERE n.id = @id;
