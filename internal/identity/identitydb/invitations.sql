-- Invitations: single-use, expiring links with which a new account sets its
-- first password. Only the token's SHA-256 is stored.

-- name: InsertInvitation :one
INSERT INTO invitations (user_id, token_hash, created_by, created_at, expires_at)
VALUES (@user_id, @token_hash, sqlc.narg('created_by'), @now, @expires_at)
RETURNING id;

-- name: InvitationForUpdate :one
-- The invitation of a token with its user, locked (two acceptances of one
-- token: the second waits, then finds it used).
SELECT i.id, i.user_id, i.expires_at, i.used_at, u.active, u.erased_at
FROM invitations i JOIN users u ON u.id = i.user_id
WHERE i.token_hash = @token_hash
FOR UPDATE OF i;

-- name: InvitationByToken :one
-- The invitee of a token still usable at @now (the set-password page).
SELECT i.user_id, i.expires_at, u.email, u.first_name, u.locale
FROM invitations i JOIN users u ON u.id = i.user_id
WHERE i.token_hash = @token_hash AND i.used_at IS NULL AND i.expires_at > @now::timestamptz
  AND u.active AND u.erased_at IS NULL;

-- name: ReissueInvitation :one
-- Replaces the token of an invitation still usable at @now and not mailed
-- yet (the mail job, at send time): the former token stops working.
UPDATE invitations i SET token_hash = @token_hash
FROM users u
WHERE i.id = @id AND u.id = i.user_id
  AND i.used_at IS NULL AND i.mailed_at IS NULL AND i.expires_at > @now::timestamptz
  AND u.active AND u.erased_at IS NULL
RETURNING i.user_id, i.expires_at, u.email, u.first_name, u.last_name, u.locale;

-- name: InvitationMailed :exec
UPDATE invitations SET mailed_at = @now::timestamptz WHERE id = @id AND mailed_at IS NULL;

-- name: OpenInvitation :one
-- Whether the user holds an invitation still usable at @now.
SELECT EXISTS (SELECT 1 FROM invitations WHERE user_id = @user_id AND used_at IS NULL
               AND expires_at > @now::timestamptz)::bool;

-- name: UseInvitations :exec
-- Accepting one invitation spends every open invitation of the user.
UPDATE invitations SET used_at = @now::timestamptz WHERE user_id = @user_id AND used_at IS NULL;

-- name: HasPassword :one
SELECT (password_hash IS NOT NULL)::bool AS has_password FROM users WHERE id = @id;
