-- name: UserByEmail :one
-- users_email_key indexes lower(email).
SELECT id, role, active, password_hash FROM users WHERE lower(email) = @email::text;

-- name: PasswordHash :one
SELECT password_hash FROM users WHERE id = @id;

-- name: Rehash :exec
-- A stronger hash of the same password: not a change of the user.
UPDATE users SET password_hash = @password_hash WHERE id = @id;

-- name: SetPassword :exec
UPDATE users SET password_hash = @password_hash, updated_at = @now WHERE id = @id;

-- name: PruneSessions :exec
-- Expired sessions serve no purpose, not even reuse detection: a few at a time.
DELETE FROM sessions WHERE id IN (
    SELECT s.id FROM sessions s WHERE s.expires_at < @now::timestamptz ORDER BY s.expires_at LIMIT 20);

-- name: InsertSession :exec
INSERT INTO sessions (family_id, user_id, token_hash, created_at, expires_at)
VALUES (@family_id, @user_id, @token_hash, @created_at, @expires_at);

-- name: SessionLive :one
-- Whether the session of token_hash in family is unused, unrevoked and unexpired.
SELECT rotated_at IS NULL AND revoked_at IS NULL AND expires_at > @now::timestamptz AS live
FROM sessions WHERE token_hash = @token_hash AND family_id = @family_id;

-- name: LockSessionByToken :one
SELECT s.id, s.family_id, s.user_id, s.expires_at, s.rotated_at, s.revoked_at, u.active
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.token_hash = @token_hash FOR UPDATE OF s;

-- name: RotateSession :exec
UPDATE sessions SET rotated_at = @now::timestamptz WHERE id = @id;

-- name: RevokeFamily :execrows
UPDATE sessions SET revoked_at = @now::timestamptz WHERE family_id = @family_id AND revoked_at IS NULL;

-- name: FamilyOfToken :one
SELECT family_id FROM sessions WHERE token_hash = @token_hash;

-- name: RevokeUserSessions :exec
-- Every live session of the user but those of family keep.
UPDATE sessions SET revoked_at = @now::timestamptz
WHERE user_id = @user_id AND revoked_at IS NULL AND family_id <> @keep;
