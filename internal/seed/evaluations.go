package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/clock"
	"jalon/internal/evaluations"
)

// EvaluationTemplateID is the demo trade's evaluation template.
var EvaluationTemplateID = uuid.MustParse("00000000-0000-4000-e000-000000000001")

// demoCriteria are the template's criteria: competencies of the demo
// framework (by number) and one free-text criterion (0).
var demoCriteria = []struct {
	competency  int
	label, desc string
}{
	{1, "", "Lit un plan, en déduit une fiche de débit correcte."},
	{3, "", "Range son poste, porte les protections, respecte les consignes des machines."},
	{4, "", "Débite aux cotes, avec le minimum de chutes."},
	{8, "", "Assemble un bâti d'équerre et sans jeu."},
	{10, "", "Prépare les surfaces avant la finition."},
	{0, "Attitude au travail", "Ponctualité, respect des consignes, communication avec l'équipe."},
}

// demoEvaluationStates puts the demo evaluations in every status:
// contract index, slot, target status.
var demoEvaluationStates = []struct {
	contract int
	slot     string
	status   evaluations.Status
}{
	{0, "M3", evaluations.Signed},
	{0, "M6", evaluations.AwaitingAdviser},
	{1, "M3", evaluations.AwaitingApprentice},
	{2, "M3", evaluations.InProgress},
	{3, "M3", evaluations.Signed},
	{3, "M6", evaluations.Signed},
	{3, "M12", evaluations.Signed},
	// Everything else stays SCHEDULED (e.g. contract 3's END slot, overdue).
}

var demoComments = []string{
	"Doit encore être accompagné.",
	"Progrès nets depuis le début, à consolider.",
	"Travail soigné et autonome.",
	"Très bonne maîtrise, peut montrer l'exemple.",
}

// seedEvaluations adds the demo trade's template, schedules the demo
// contracts' evaluations and fills some of them, with real content hashes.
func seedEvaluations(ctx context.Context, tx pgx.Tx, now time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO evaluation_templates
			(id, trade_id, title, scale_min, scale_max, scale_labels, months_after_start, days_before_end)
		VALUES ($1, $2, 'Évaluation en entreprise', 1, 4, $3, '{3,6,12}', 30) ON CONFLICT DO NOTHING`,
		EvaluationTemplateID, TradeID, []evaluations.ScaleLabel{
			{Value: 1, FR: "Non acquis", NL: "Niet verworven", DE: "Nicht erworben", EN: "Not acquired"},
			{Value: 2, FR: "En cours d'acquisition", NL: "In verwerving", DE: "In Aneignung", EN: "Being acquired"},
			{Value: 3, FR: "Acquis", NL: "Verworven", DE: "Erworben", EN: "Acquired"},
			{Value: 4, FR: "Maîtrisé", NL: "Beheerst", DE: "Beherrscht", EN: "Mastered"},
		})
	if err != nil {
		return err
	}
	for i, c := range demoCriteria {
		var comp *uuid.UUID
		label := c.label
		if c.competency > 0 {
			id := CompetencyID(c.competency)
			comp = &id
			label = demoCompetencies[c.competency-1].title
		}
		_, err := tx.Exec(ctx, `INSERT INTO evaluation_template_criteria (id, template_id, position, competency_id, label, description)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
			uuid.MustParse(fmt.Sprintf("00000000-0000-4000-e100-%012d", i+1)), EvaluationTemplateID, i+1, comp, label, c.desc)
		if err != nil {
			return err
		}
	}
	for _, id := range ContractIDs {
		if err := evaluations.ScheduleForContract(ctx, tx, id); err != nil {
			return err
		}
	}
	for n, s := range demoEvaluationStates {
		if err := fillDemoEvaluation(ctx, tx, ContractIDs[s.contract], s.slot, s.status, n); err != nil {
			return fmt.Errorf("evaluation %d %s: %w", s.contract, s.slot, err)
		}
	}
	return nil
}

// fillDemoEvaluation scores a SCHEDULED demo evaluation and signs it up to
// status. An evaluation already past SCHEDULED was seeded before: it is left
// alone, so seeding twice changes nothing.
func fillDemoEvaluation(ctx context.Context, tx pgx.Tx, contractID uuid.UUID, slot string, status evaluations.Status, n int) error {
	var id uuid.UUID
	var current evaluations.Status
	var due time.Time
	var tutor, apprentice, adviser uuid.UUID
	err := tx.QueryRow(ctx, `SELECT e.id, e.status, e.due_date, c.tutor_id, c.apprentice_id, c.adviser_id
		FROM evaluations e JOIN contracts c ON c.id = e.contract_id
		WHERE e.contract_id = $1 AND e.template_id = $2 AND e.slot = $3`, contractID, EvaluationTemplateID, slot).
		Scan(&id, &current, &due, &tutor, &apprentice, &adviser)
	if err == pgx.ErrNoRows {
		return nil // the slot does not fall inside this contract
	}
	if err != nil || current != evaluations.Scheduled {
		return err
	}
	// Scores vary by criterion and evaluation; IN_PROGRESS has half of them.
	_, err = tx.Exec(ctx, `UPDATE evaluation_criteria
		SET score = 1 + (position + $2) % 4,
		    comment = ($3::text[])[1 + (position + $2) % 4]
		WHERE evaluation_id = $1 AND ($4 OR position <= 3)`, id, n, demoComments, status != evaluations.InProgress)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE evaluations SET status = $2, version = version + 2,
		general_comment = 'Apprentissage sérieux ; continuer à travailler la précision et l''autonomie.'
		WHERE id = $1`, id, status)
	if err != nil {
		return err
	}
	if !status.Frozen() {
		return nil
	}
	es, errs := evaluations.GetMany(ctx, tx, []uuid.UUID{id})
	if errs != nil {
		return errs[0]
	}
	hash, err := evaluations.ContentHash(ctx, tx, es[0])
	if err != nil {
		return err
	}
	// Signed on the days after the due date, late afternoon in Brussels.
	signedAt := func(day int) time.Time {
		return time.Date(due.Year(), due.Month(), due.Day()+day, 17, 30, 0, 0, clock.Brussels)
	}
	signers := []struct {
		role string
		user uuid.UUID
	}{{"TUTOR", tutor}, {"APPRENTICE", apprentice}, {"ADVISER", adviser}}
	count := map[evaluations.Status]int{evaluations.AwaitingApprentice: 1, evaluations.AwaitingAdviser: 2, evaluations.Signed: 3}[status]
	for i, s := range signers[:count] {
		_, err := tx.Exec(ctx, `INSERT INTO evaluation_signatures (evaluation_id, role, signer_id, signed_at, content_hash)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, id, s.role, s.user, signedAt(i+1), hash)
		if err != nil {
			return err
		}
	}
	return nil
}
