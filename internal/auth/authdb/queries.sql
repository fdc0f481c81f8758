-- name: Caller :one
-- The user's current role and whether they are active and their session
-- family is live. A family is live while it has an unrevoked row:
-- revocation marks every row of the family, and the family's last row
-- outlives the access tokens issued with it (refresh TTL > access TTL).
SELECT u.role, u.active,
    EXISTS (SELECT 1 FROM sessions s
        WHERE s.family_id = @session_id::uuid AND s.user_id = u.id AND s.revoked_at IS NULL) AS live
FROM users u WHERE u.id = @user_id;
