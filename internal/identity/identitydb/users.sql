-- name: InsertUser :one
INSERT INTO users (email, first_name, last_name, phone, locale, role,
    birth_date, company_id, password_hash, created_at, updated_at, base_latitude, base_longitude)
VALUES (@email, @first_name, @last_name, @phone, @locale, @role,
    sqlc.narg('birth_date'), sqlc.narg('company_id'), sqlc.narg('password_hash'), @now, @now,
    sqlc.narg('base_latitude'), sqlc.narg('base_longitude'))
RETURNING id;

-- name: LockUser :one
-- Locks the user's row for the rest of the transaction.
SELECT id FROM users WHERE id = @id FOR UPDATE;

-- name: PartyToContract :one
-- Whether the user holds a part a role change would break: party to a
-- contract, or either side of a guardian link not ended.
SELECT (EXISTS (SELECT 1 FROM contracts c
    WHERE c.apprentice_id = @user_id OR c.tutor_id = @user_id OR c.adviser_id = @user_id)
    OR EXISTS (SELECT 1 FROM guardian_links g
    WHERE g.status <> 'ENDED' AND (g.apprentice_id = @user_id OR g.guardian_id = @user_id)))::bool AS party;

-- name: UpdateUser :exec
UPDATE users SET email = @email, first_name = @first_name, last_name = @last_name, phone = @phone,
    locale = @locale, role = @role, birth_date = sqlc.narg('birth_date'), company_id = sqlc.narg('company_id'),
    updated_at = @now, base_latitude = sqlc.narg('base_latitude'), base_longitude = sqlc.narg('base_longitude')
WHERE id = @id;

-- name: DeactivateUser :execrows
UPDATE users SET active = false, updated_at = @now WHERE id = @id;

-- name: CompanyExists :one
SELECT EXISTS (SELECT 1 FROM companies WHERE id = @id);
