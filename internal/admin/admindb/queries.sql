-- name: ContractParty :one
-- What a new contract checks of one of its people.
SELECT role, active, company_id FROM users WHERE id = @id;

-- name: CompanyExists :one
SELECT EXISTS (SELECT 1 FROM companies WHERE id = @id);

-- name: CentreExists :one
SELECT EXISTS (SELECT 1 FROM training_centres WHERE id = @id);

-- name: TradeExists :one
SELECT EXISTS (SELECT 1 FROM trades WHERE id = @id);

-- name: HasActiveContract :one
SELECT EXISTS (SELECT 1 FROM contracts WHERE apprentice_id = @apprentice_id AND status = 'ACTIVE');

-- name: InsertCompany :one
INSERT INTO companies (name, enterprise_number, street, postal_code, city, country, latitude, longitude)
VALUES (@name, @enterprise_number, @street, @postal_code, @city, @country, sqlc.narg('latitude'), sqlc.narg('longitude'))
RETURNING id, created_at;

-- name: InsertCentre :one
INSERT INTO training_centres (name, street, postal_code, city)
VALUES (@name, @street, @postal_code, @city) RETURNING id;

-- name: InsertTrade :one
INSERT INTO trades (code, name) VALUES (@code, @name) RETURNING id;

-- name: InsertCompetencies :exec
-- A trade's framework in one statement, position i for the i-th element.
INSERT INTO competencies (trade_id, code, title, grp, position)
SELECT @trade_id::uuid, (@codes::text[])[i], (@titles::text[])[i], (@groups::text[])[i], i - 1
FROM generate_subscripts(@codes::text[], 1) AS i;

-- name: UserIDByEmail :one
SELECT id FROM users WHERE lower(email) = lower(@email);

-- name: CompanyIDByEnterpriseNumber :one
SELECT id FROM companies WHERE enterprise_number = @enterprise_number;

-- name: CentreIDsByName :many
-- At most two: one is the answer, two say the name is ambiguous.
SELECT id FROM training_centres WHERE lower(name) = lower(@name) LIMIT 2;

-- name: TradeIDByCode :one
-- A trade code matches whatever its case, the exact spelling first.
SELECT id FROM trades WHERE lower(code) = lower(@code) ORDER BY code = @code DESC LIMIT 1;
