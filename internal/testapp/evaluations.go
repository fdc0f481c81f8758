package testapp

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/evaluations"
	"jalon/internal/postgres"
)

// Evaluation is a fixture evaluation.
type Evaluation struct {
	ID         uuid.UUID
	TemplateID uuid.UUID
	Criteria   []uuid.UUID // in position order
	Version    int
}

// EvaluationOpts are optional fields of NewEvaluation.
type EvaluationOpts struct {
	// Scored fills every criterion with a score (3 on the 1–4 scale) and
	// moves the evaluation to IN_PROGRESS, ready for the tutor to sign.
	Scored bool
}

// NewTemplate inserts an evaluation template for c's trade directly (scale
// 1–4 with labels, months 3 and 6, 30 days before the end, one criterion per
// competency of the trade, up to three) and returns its id. It schedules
// nothing.
func (a *TestApp) NewTemplate(t testing.TB, c Contract) uuid.UUID {
	t.Helper()
	id := uuid.New()
	a.Exec(t, `INSERT INTO evaluation_templates (id, trade_id, title, scale_min, scale_max, scale_labels, months_after_start, days_before_end)
		VALUES ($1, $2, 'Évaluation périodique', 1, 4,
		'[{"value":1,"fr":"Non acquis","en":"Not acquired"},{"value":2,"fr":"En cours d''acquisition"},{"value":3,"fr":"Acquis"},{"value":4,"fr":"Maîtrisé","en":"Mastered"}]',
		'{3,6}', 30)`, id, c.TradeID)
	for i, comp := range c.Competencies {
		if i == 3 {
			break
		}
		a.Exec(t, `INSERT INTO evaluation_template_criteria (template_id, position, competency_id, label, description)
			VALUES ($1, $2, $3, (SELECT title FROM competencies WHERE id = $3), 'Travaille avec précision')`, id, i+1, comp)
	}
	return id
}

// NewEvaluation gives contract c a template and its schedule (through
// evaluations.ScheduleForContract) and returns its first evaluation (3
// months after the start).
func (a *TestApp) NewEvaluation(t testing.TB, c Contract, o ...EvaluationOpts) Evaluation {
	t.Helper()
	var opt EvaluationOpts
	if len(o) > 0 {
		opt = o[0]
	}
	ctx := context.Background()
	e := Evaluation{TemplateID: a.NewTemplate(t, c)}
	err := postgres.InTx(ctx, a.Pool, func(tx pgx.Tx) error {
		return evaluations.ScheduleForContract(ctx, tx, c.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Pool.QueryRow(ctx, `SELECT id, version FROM evaluations WHERE contract_id = $1 AND template_id = $2 AND slot = 'M3'`,
		c.ID, e.TemplateID).Scan(&e.ID, &e.Version); err != nil {
		t.Fatal(err)
	}
	rows, err := a.Pool.Query(ctx, `SELECT id FROM evaluation_criteria WHERE evaluation_id = $1 ORDER BY position`, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if e.Criteria, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID]); err != nil {
		t.Fatal(err)
	}
	if opt.Scored {
		a.Exec(t, `UPDATE evaluation_criteria SET score = 3, comment = 'Bon travail' WHERE evaluation_id = $1`, e.ID)
		a.Exec(t, `UPDATE evaluations SET status = 'IN_PROGRESS', version = version + 1 WHERE id = $1`, e.ID)
		e.Version++
	}
	return e
}
