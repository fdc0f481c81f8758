-- name: Caller :one
-- The user's current role and whether they are active and their session
-- family is live. A family is live while it has an unrevoked row:
-- revocation marks every row of the family, and the family's last row
-- outlives the access tokens issued with it (refresh TTL > access TTL).
-- wards: for a guardian, the apprentices of their active links (empty for
-- every other role, without touching guardian_links).
SELECT u.role, u.active,
    EXISTS (SELECT 1 FROM sessions s
        WHERE s.family_id = @session_id::uuid AND s.user_id = u.id AND s.revoked_at IS NULL) AS live,
    (CASE WHEN u.role = 'GUARDIAN' THEN ARRAY(SELECT g.apprentice_id FROM guardian_links g
        WHERE g.guardian_id = u.id AND g.status = 'ACTIVE') END)::uuid[] AS wards
FROM users u WHERE u.id = @user_id;
