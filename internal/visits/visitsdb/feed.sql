-- The iCalendar feeds of the advisers.

-- name: UpsertFeed :exec
-- Gives the adviser a new feed token (its hash), replacing any previous one.
INSERT INTO calendar_feeds (adviser_id, token_hash, created_at) VALUES (@adviser_id, @token_hash, @now)
ON CONFLICT (adviser_id) DO UPDATE SET token_hash = EXCLUDED.token_hash, created_at = EXCLUDED.created_at;

-- name: DeleteFeed :exec
DELETE FROM calendar_feeds WHERE adviser_id = @adviser_id;

-- name: FeedAdviser :one
-- The active adviser holding the token with this hash.
SELECT f.adviser_id FROM calendar_feeds f
JOIN users u ON u.id = f.adviser_id AND u.active
WHERE f.token_hash = @token_hash;

-- name: FeedEvents :many
-- The visits of the adviser starting from since, with what their calendar
-- entries show.
SELECT sqlc.embed(v), co.name AS company, (a.first_name || ' ' || a.last_name)::text AS apprentice
FROM visits v
JOIN contracts c ON c.id = v.contract_id
JOIN companies co ON co.id = c.company_id
JOIN users a ON a.id = c.apprentice_id
WHERE v.adviser_id = @adviser_id AND v.starts_at >= @since
ORDER BY v.starts_at, v.id
LIMIT @lim;
