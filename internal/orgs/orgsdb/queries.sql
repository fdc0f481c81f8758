-- name: CompaniesByID :many
SELECT * FROM companies WHERE id = ANY(@ids::uuid[]);

-- name: CentresByID :many
SELECT * FROM training_centres WHERE id = ANY(@ids::uuid[]);

-- name: TradesByID :many
SELECT * FROM trades WHERE id = ANY(@ids::uuid[]);

-- name: ListTrades :many
SELECT * FROM trades ORDER BY code;

-- name: CompetenciesByID :many
SELECT * FROM competencies WHERE id = ANY(@ids::uuid[]);

-- name: CompetenciesOfTrades :many
-- The frameworks of the trades among trade_ids, each in its order.
SELECT * FROM competencies WHERE trade_id = ANY(@trade_ids::uuid[])
ORDER BY position, code;

-- name: VisibleCompanies :many
-- The companies among ids the caller may see: every one to an admin; to
-- others the company of a contract they see, and their own employer.
SELECT o.* FROM companies o
WHERE o.id = ANY(@ids::uuid[])
  AND (@caller_role::text = 'ADMIN'
    OR EXISTS (SELECT 1 FROM users u WHERE u.id = @caller_id AND u.company_id = o.id)
    OR EXISTS (SELECT 1 FROM visible_contracts(@caller_id, @caller_role::text) c WHERE c.company_id = o.id));

-- name: VisibleCentres :many
-- The training centres among ids the caller may see: every one to an
-- admin, to others the centre of a contract they see.
SELECT o.* FROM training_centres o
WHERE o.id = ANY(@ids::uuid[])
  AND (@caller_role::text = 'ADMIN'
    OR EXISTS (SELECT 1 FROM visible_contracts(@caller_id, @caller_role::text) c WHERE c.centre_id = o.id));
