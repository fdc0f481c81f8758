-- Every query selects the same columns (never password_hash nor
-- erased_at), so each row type converts to UserByIDRow and one mapping
-- makes a users.User of any of them.

-- name: UserByID :one
SELECT id, email, first_name, last_name, phone, locale, role, active, birth_date,
    company_id, base_latitude, base_longitude, created_at, updated_at
FROM users WHERE id = @id;

-- name: UsersByID :many
SELECT id, email, first_name, last_name, phone, locale, role, active, birth_date,
    company_id, base_latitude, base_longitude, created_at, updated_at
FROM users WHERE id = ANY(@ids::uuid[]);

-- name: VisibleUsers :many
-- The users among ids the caller may see: the caller, anyone to an admin,
-- the parties of the contracts the caller sees, and the other side of the
-- caller's guardian links not ended (an apprentice's guardians, a
-- guardian's wards).
SELECT u.id, u.email, u.first_name, u.last_name, u.phone, u.locale, u.role, u.active, u.birth_date,
    u.company_id, u.base_latitude, u.base_longitude, u.created_at, u.updated_at
FROM users u
WHERE u.id = ANY(@ids::uuid[])
  AND (@caller_role::text = 'ADMIN' OR u.id = @caller_id
    OR EXISTS (SELECT 1 FROM visible_contracts(@caller_id, @caller_role::text) c
      WHERE u.id IN (c.apprentice_id, c.tutor_id, c.adviser_id))
    OR EXISTS (SELECT 1 FROM guardian_links g WHERE g.status <> 'ENDED'
      AND ((g.apprentice_id = @caller_id AND g.guardian_id = u.id) OR (g.guardian_id = @caller_id AND g.apprentice_id = u.id))));
