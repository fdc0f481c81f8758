-- name: EvaluationWithContract :one
-- An evaluation and its contract (the service decides the caller's part).
SELECT sqlc.embed(e), sqlc.embed(c)
FROM evaluations e JOIN contracts c ON c.id = e.contract_id
WHERE e.id = @id;

-- name: EvaluationWithContractForUpdate :one
-- EvaluationWithContract with the evaluation row locked until the
-- transaction ends (of two concurrent signatures, one waits).
SELECT sqlc.embed(e), sqlc.embed(c)
FROM evaluations e JOIN contracts c ON c.id = e.contract_id
WHERE e.id = @id
FOR UPDATE OF e;

-- name: VisibleEvaluations :many
-- The evaluations among ids that the caller may see (any order).
-- tutor_signed_only (a guardian, decided by the service): only those the
-- tutor has signed.
SELECT e.* FROM evaluations e
JOIN visible_contracts(@caller_id, @caller_role) c ON c.id = e.contract_id
WHERE e.id = ANY(@ids::uuid[])
  AND (NOT @tutor_signed_only::bool OR e.status IN ('AWAITING_APPRENTICE', 'AWAITING_ADVISER', 'SIGNED'));

-- name: VisibleCriteria :many
-- The criteria among ids whose evaluation the caller may see (any order).
SELECT cr.* FROM evaluation_criteria cr
JOIN evaluations e ON e.id = cr.evaluation_id
JOIN visible_contracts(@caller_id, @caller_role) c ON c.id = e.contract_id
WHERE cr.id = ANY(@ids::uuid[])
  AND (NOT @tutor_signed_only::bool OR e.status IN ('AWAITING_APPRENTICE', 'AWAITING_ADVISER', 'SIGNED'));

-- name: ContractVisible :one
-- Whether the caller may see the contract (a list narrowed to it).
SELECT count(*) > 0 FROM visible_contracts(@caller_id, @caller_role) c WHERE c.id = @contract_id::uuid;

-- name: ListEvaluations :many
-- A page of the caller's evaluations by due date, after a cursor.
SELECT e.* FROM evaluations e
JOIN visible_contracts(@caller_id, @caller_role) c ON c.id = e.contract_id
WHERE (sqlc.narg('contract_id')::uuid IS NULL OR e.contract_id = sqlc.narg('contract_id')::uuid)
  AND (sqlc.narg('status')::text IS NULL OR e.status = sqlc.narg('status')::text)
  AND (NOT @tutor_signed_only::bool OR e.status IN ('AWAITING_APPRENTICE', 'AWAITING_ADVISER', 'SIGNED'))
  AND (sqlc.narg('after_due')::date IS NULL
       OR (e.due_date, e.id) > (sqlc.narg('after_due')::date, sqlc.narg('after_id')::uuid))
ORDER BY e.due_date, e.id
LIMIT @lim;

-- name: CountEvaluations :one
-- How many evaluations ListEvaluations returns over all pages.
SELECT count(*)::int FROM evaluations e
JOIN visible_contracts(@caller_id, @caller_role) c ON c.id = e.contract_id
WHERE (sqlc.narg('contract_id')::uuid IS NULL OR e.contract_id = sqlc.narg('contract_id')::uuid)
  AND (sqlc.narg('status')::text IS NULL OR e.status = sqlc.narg('status')::text)
  AND (NOT @tutor_signed_only::bool OR e.status IN ('AWAITING_APPRENTICE', 'AWAITING_ADVISER', 'SIGNED'));

-- name: EvaluationsByID :many
-- Evaluations by id, without an authorization check (any order).
SELECT * FROM evaluations WHERE id = ANY(@ids::uuid[]);

-- name: FirstEvaluationsOf :many
-- The first lim evaluations (by due date) of each contract, under an
-- optional status: one index range scan per contract.
SELECT e.* FROM unnest(@contract_ids::uuid[]) AS k(contract_id)
CROSS JOIN LATERAL (
    SELECT * FROM evaluations x
    WHERE x.contract_id = k.contract_id
      AND (sqlc.narg('status')::text IS NULL OR x.status = sqlc.narg('status')::text)
      AND (NOT @tutor_signed_only::bool OR x.status IN ('AWAITING_APPRENTICE', 'AWAITING_ADVISER', 'SIGNED'))
    ORDER BY x.due_date, x.id
    LIMIT @lim
) e
ORDER BY e.contract_id, e.due_date, e.id;

-- name: CountEvaluationsOf :many
-- How many evaluations each contract has (under an optional status); a
-- contract without any is absent.
SELECT e.contract_id, count(*)::int AS n FROM evaluations e
WHERE e.contract_id = ANY(@contract_ids::uuid[])
  AND (sqlc.narg('status')::text IS NULL OR e.status = sqlc.narg('status')::text)
  AND (NOT @tutor_signed_only::bool OR e.status IN ('AWAITING_APPRENTICE', 'AWAITING_ADVISER', 'SIGNED'))
GROUP BY e.contract_id;

-- name: CriteriaOf :many
-- The criteria of evaluations, in position order.
SELECT * FROM evaluation_criteria
WHERE evaluation_id = ANY(@evaluation_ids::uuid[])
ORDER BY evaluation_id, position;

-- name: SignaturesOf :many
-- The signatures of evaluations, in signing order.
SELECT * FROM evaluation_signatures
WHERE evaluation_id = ANY(@evaluation_ids::uuid[])
ORDER BY evaluation_id, signed_at;

-- name: LatestScores :many
-- For each contract, the latest score of each competency in its SIGNED
-- evaluations (by due date, then by the adviser's signature).
SELECT DISTINCT ON (e.contract_id, cr.competency_id)
       e.contract_id, cr.competency_id::uuid AS competency_id, cr.score::int AS score,
       t.scale_min, t.scale_max, e.id AS evaluation_id, e.due_date, s.signed_at
FROM evaluations e
JOIN evaluation_criteria cr ON cr.evaluation_id = e.id
JOIN evaluation_templates t ON t.id = e.template_id
JOIN evaluation_signatures s ON s.evaluation_id = e.id AND s.role = 'ADVISER'
WHERE e.contract_id = ANY(@contract_ids::uuid[]) AND e.status = 'SIGNED'
  AND cr.competency_id IS NOT NULL AND cr.score IS NOT NULL
ORDER BY e.contract_id, cr.competency_id, e.due_date DESC, s.signed_at DESC;

-- name: SetScore :batchexec
-- One criterion's score and, when given, its comment (sent as one batch).
UPDATE evaluation_criteria SET score = sqlc.narg('score'), comment = coalesce(sqlc.narg('comment'), comment)
WHERE id = @id;

-- name: SaveEvaluation :one
-- Records a save: new general comment and version; a SCHEDULED evaluation
-- is now IN_PROGRESS.
UPDATE evaluations SET general_comment = @general_comment, version = version + 1,
    status = CASE WHEN status = 'SCHEDULED' THEN 'IN_PROGRESS' ELSE status END, updated_at = @now
WHERE id = @id
RETURNING *;

-- name: InsertSignature :exec
INSERT INTO evaluation_signatures (evaluation_id, role, signer_id, signed_at, content_hash)
VALUES (@evaluation_id, @role, @signer_id, @signed_at, @content_hash);

-- name: AdvanceStatus :one
-- Moves the evaluation from one status to the next; no row when another
-- change came first (a second guard beside the row lock).
UPDATE evaluations SET status = @next, version = version + 1, updated_at = @now
WHERE id = @id AND status = @current
RETURNING *;

-- name: UserName :one
SELECT (first_name || ' ' || last_name)::text FROM users WHERE id = @id;

-- name: UserLocale :one
SELECT locale FROM users WHERE id = @id;

-- name: TradeExistsForShare :one
-- Whether the trade exists, locking it so that its competencies and a new
-- template agree.
SELECT EXISTS (SELECT 1 FROM trades WHERE id = @trade_id FOR SHARE);

-- name: TradeCompetencies :many
SELECT id, title FROM competencies WHERE trade_id = @trade_id;

-- name: InsertTemplate :one
INSERT INTO evaluation_templates
    (id, trade_id, title, scale_min, scale_max, scale_labels, months_after_start, days_before_end)
VALUES (@id, @trade_id, @title, @scale_min, @scale_max, @scale_labels, @months_after_start, @days_before_end)
RETURNING created_at;

-- name: InsertTemplateCriterion :batchexec
INSERT INTO evaluation_template_criteria (template_id, position, competency_id, label, description)
VALUES (@template_id, @position, @competency_id, @label, @description);

-- name: ActiveContractsOfTrade :many
SELECT id FROM contracts WHERE trade_id = @trade_id AND status = 'ACTIVE' ORDER BY id;

-- name: CopyTemplateCriteria :exec
-- Gives new evaluations the criteria of their template.
INSERT INTO evaluation_criteria (evaluation_id, position, competency_id, label, description)
SELECT e.id, tc.position, tc.competency_id, tc.label, tc.description
FROM evaluations e JOIN evaluation_template_criteria tc ON tc.template_id = e.template_id
WHERE e.id = ANY(@evaluation_ids::uuid[]);

-- name: TemplatesByID :many
SELECT * FROM evaluation_templates WHERE id = ANY(@ids::uuid[]);

-- name: TemplateCriteriaByID :many
SELECT * FROM evaluation_template_criteria WHERE id = ANY(@ids::uuid[]);

-- name: TemplateCriteriaOf :many
-- The criteria of templates, in position order.
SELECT * FROM evaluation_template_criteria
WHERE template_id = ANY(@template_ids::uuid[])
ORDER BY template_id, position;

-- name: DocumentParties :one
-- Who and what an evaluation's PDF names: the contract's dates, company,
-- trade and people.
SELECT c.start_date, c.end_date, co.name AS company,
       (tr.name || ' (' || tr.code || ')')::text AS trade,
       (ap.first_name || ' ' || ap.last_name)::text AS apprentice,
       (tu.first_name || ' ' || tu.last_name)::text AS tutor,
       (ad.first_name || ' ' || ad.last_name)::text AS adviser
FROM contracts c
JOIN companies co ON co.id = c.company_id
JOIN trades tr ON tr.id = c.trade_id
JOIN users ap ON ap.id = c.apprentice_id
JOIN users tu ON tu.id = c.tutor_id
JOIN users ad ON ad.id = c.adviser_id
WHERE c.id = @contract_id::uuid;

-- name: DocumentSigners :many
-- The name of each signer of an evaluation.
SELECT s.signer_id, (u.first_name || ' ' || u.last_name)::text AS name
FROM evaluation_signatures s JOIN users u ON u.id = s.signer_id
WHERE s.evaluation_id = @evaluation_id;

-- name: CriterionCodes :many
-- The competency code of each criterion of an evaluation tied to one.
SELECT cr.competency_id::uuid AS competency_id, co.code
FROM evaluation_criteria cr JOIN competencies co ON co.id = cr.competency_id
WHERE cr.evaluation_id = @evaluation_id;
