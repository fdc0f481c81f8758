-- Invitations: single-use, expiring links with which a new account sets its
-- first password. Only the token's SHA-256 is stored.

-- name: InsertInvitation :exec
INSERT INTO invitations (user_id, token_hash, created_by, created_at, expires_at)
VALUES (@user_id, @token_hash, sqlc.narg('created_by'), @now, @expires_at);

-- name: InvitationForUpdate :one
-- The invitation of a token with its user, locked (two acceptances of one
-- token: the second waits, then finds it used).
SELECT i.id, i.user_id, i.expires_at, i.used_at, u.active, u.erased_at
FROM invitations i JOIN users u ON u.id = i.user_id
WHERE i.token_hash = @token_hash
FOR UPDATE OF i;

-- name: UseInvitations :exec
-- Accepting one invitation spends every open invitation of the user.
UPDATE invitations SET used_at = @now::timestamptz WHERE user_id = @user_id AND used_at IS NULL;

-- name: HasPassword :one
SELECT (password_hash IS NOT NULL)::bool AS has_password FROM users WHERE id = @id;
