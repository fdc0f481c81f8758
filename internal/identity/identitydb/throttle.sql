-- name: RecordAttempt :many
INSERT INTO login_failures (scope, key, at)
VALUES ('account', @account::text, @at::timestamptz), ('address', @address::text, @at::timestamptz)
RETURNING id;

-- name: PruneLoginFailures :exec
-- Keeps the table small: each attempt drops a few rows nobody counts any more.
DELETE FROM login_failures WHERE id IN (
    SELECT f.id FROM login_failures f WHERE f.at <= @since::timestamptz ORDER BY f.at LIMIT 20);

-- name: CountFailures :one
SELECT
    count(*) FILTER (WHERE scope = 'account' AND key = @account::text) AS account,
    count(*) FILTER (WHERE scope = 'address' AND key = @address::text) AS address
FROM login_failures
WHERE ((scope = 'account' AND key = @account::text) OR (scope = 'address' AND key = @address::text))
  AND at > @since::timestamptz;

-- name: NthRecentFailure :one
-- The time of the failure of scope and key that is skip places from the
-- newest, within the window, other than the attempt's own rows.
SELECT at FROM login_failures
WHERE scope = @scope AND key = @key AND at > @since::timestamptz AND id <> ALL(@own::bigint[])
ORDER BY at DESC OFFSET @skip::int LIMIT 1;

-- name: DeleteFailures :exec
DELETE FROM login_failures WHERE id = ANY(@ids::bigint[]);

-- name: ResetAccountFailures :exec
-- The attempt's rows and every failure of the account.
DELETE FROM login_failures WHERE id = ANY(@ids::bigint[]) OR (scope = 'account' AND key = @account::text);
