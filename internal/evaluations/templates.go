package evaluations

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/apperr"
	"jalon/internal/audit"
	"jalon/internal/auth"
	"jalon/internal/postgres"
)

// ScaleLabel names one value of a score scale in the four languages. FR is
// required; an empty NL, DE or EN falls back to FR.
type ScaleLabel struct {
	Value int    `json:"value"`
	FR    string `json:"fr"`
	NL    string `json:"nl"`
	DE    string `json:"de"`
	EN    string `json:"en"`
}

// In returns the label in locale ("FR", "NL", "DE", "EN"), French by default.
func (l ScaleLabel) In(locale string) string {
	var s string
	switch strings.ToUpper(locale) {
	case "NL":
		s = l.NL
	case "DE":
		s = l.DE
	case "EN":
		s = l.EN
	}
	if s == "" {
		return l.FR
	}
	return s
}

// Template describes the evaluations of a trade: criteria, scale, schedule.
type Template struct {
	ID               uuid.UUID
	TradeID          uuid.UUID
	Title            string
	ScaleMin         int
	ScaleMax         int
	ScaleLabels      []ScaleLabel // one per value, ascending
	MonthsAfterStart []int
	DaysBeforeEnd    *int
	CreatedAt        time.Time
}

// Label returns the label of score in locale ("" when the value has none).
func (t Template) Label(score int, locale string) string {
	for _, l := range t.ScaleLabels {
		if l.Value == score {
			return l.In(locale)
		}
	}
	return ""
}

// TemplateCriterion is one criterion of a template.
type TemplateCriterion struct {
	ID           uuid.UUID
	TemplateID   uuid.UUID
	Position     int
	CompetencyID *uuid.UUID
	Label        string
	Description  string
}

// TemplateInput is what createEvaluationTemplate takes.
type TemplateInput struct {
	TradeID          uuid.UUID
	Title            string
	ScaleMin         int
	ScaleMax         int
	ScaleLabels      []ScaleLabel
	MonthsAfterStart []int
	DaysBeforeEnd    *int
	Criteria         []TemplateCriterionInput
}

// TemplateCriterionInput is one criterion of TemplateInput: tied to a
// competency of the trade, or free text (CompetencyID nil).
type TemplateCriterionInput struct {
	CompetencyID *uuid.UUID
	Label        string
	Description  string
}

// Limits of a template.
const (
	maxCriteria    = 60
	maxMonths      = 120
	maxScaleValues = 10
)

func (in *TemplateInput) validate() error {
	in.Title = strings.TrimSpace(in.Title)
	if n := len([]rune(in.Title)); n < 1 || n > 200 {
		return apperr.Invalid("title", "must be 1 to 200 characters")
	}
	if in.ScaleMin < 0 || in.ScaleMax <= in.ScaleMin || in.ScaleMax-in.ScaleMin > maxScaleValues {
		return apperr.Invalid("scaleMax", "the scale must go up from scaleMin ≥ 0 by at most %d steps", maxScaleValues)
	}
	seen := map[int]bool{}
	for i := range in.ScaleLabels {
		l := &in.ScaleLabels[i]
		if l.Value < in.ScaleMin || l.Value > in.ScaleMax || seen[l.Value] {
			return apperr.Invalid("scaleLabels", "value %d is outside the scale or given twice", l.Value)
		}
		seen[l.Value] = true
		l.FR, l.NL, l.DE, l.EN = strings.TrimSpace(l.FR), strings.TrimSpace(l.NL), strings.TrimSpace(l.DE), strings.TrimSpace(l.EN)
		if l.FR == "" || len(l.FR) > 100 || len(l.NL) > 100 || len(l.DE) > 100 || len(l.EN) > 100 {
			return apperr.Invalid("scaleLabels", "every label needs a French text of at most 100 characters")
		}
		for _, other := range []*string{&l.NL, &l.DE, &l.EN} {
			if *other == "" {
				*other = l.FR
			}
		}
	}
	if len(seen) != in.ScaleMax-in.ScaleMin+1 {
		return apperr.Invalid("scaleLabels", "every value from %d to %d needs a label", in.ScaleMin, in.ScaleMax)
	}
	slices.SortFunc(in.ScaleLabels, func(a, b ScaleLabel) int { return a.Value - b.Value })
	in.MonthsAfterStart = slices.Clone(in.MonthsAfterStart)
	slices.Sort(in.MonthsAfterStart)
	for i, m := range in.MonthsAfterStart {
		if m < 1 || m > maxMonths || (i > 0 && in.MonthsAfterStart[i-1] == m) {
			return apperr.Invalid("monthsAfterStart", "months must be distinct, between 1 and %d", maxMonths)
		}
	}
	if in.DaysBeforeEnd != nil && (*in.DaysBeforeEnd < 0 || *in.DaysBeforeEnd > 365) {
		return apperr.Invalid("daysBeforeEnd", "must be between 0 and 365")
	}
	if len(in.MonthsAfterStart) == 0 && in.DaysBeforeEnd == nil {
		return apperr.Invalid("monthsAfterStart", "give at least one slot: months after the start or days before the end")
	}
	if len(in.Criteria) == 0 || len(in.Criteria) > maxCriteria {
		return apperr.Invalid("criteria", "give 1 to %d criteria", maxCriteria)
	}
	for i := range in.Criteria {
		c := &in.Criteria[i]
		c.Label, c.Description = strings.TrimSpace(c.Label), strings.TrimSpace(c.Description)
		if len([]rune(c.Label)) > 200 || (c.Label == "" && c.CompetencyID == nil) {
			return apperr.Invalid("criteria", "criterion %d needs a label of at most 200 characters", i+1)
		}
		if len([]rune(c.Description)) > 2000 {
			return apperr.Invalid("criteria", "criterion %d: description longer than 2000 characters", i+1)
		}
	}
	return nil
}

// CreateTemplate creates an evaluation template (admins only: FORBIDDEN
// otherwise; VALIDATION_FAILED for a bad input, an unknown trade or a
// competency outside the trade) and schedules its evaluations for every
// ACTIVE contract of the trade.
func (s *Service) CreateTemplate(ctx context.Context, in TemplateInput) (Template, error) {
	if _, err := auth.RequireRole(ctx, auth.Admin); err != nil {
		return Template{}, err
	}
	if err := in.validate(); err != nil {
		return Template{}, err
	}
	t := Template{
		ID: uuid.New(), TradeID: in.TradeID, Title: in.Title, ScaleMin: in.ScaleMin, ScaleMax: in.ScaleMax,
		ScaleLabels: in.ScaleLabels, MonthsAfterStart: in.MonthsAfterStart, DaysBeforeEnd: in.DaysBeforeEnd,
	}
	if t.MonthsAfterStart == nil {
		t.MonthsAfterStart = []int{}
	}
	labels, err := json.Marshal(t.ScaleLabels)
	if err != nil {
		return Template{}, fmt.Errorf("create evaluation template: %w", err)
	}
	err = postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		// Lock the trade so a competency list and the template agree.
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM trades WHERE id = $1 FOR SHARE)`, in.TradeID).Scan(&exists); err != nil {
			return fmt.Errorf("create evaluation template: %w", err)
		}
		if !exists {
			return apperr.Invalid("tradeId", "unknown trade")
		}
		comps := map[uuid.UUID]string{}
		rows, err := tx.Query(ctx, `SELECT id, title FROM competencies WHERE trade_id = $1`, in.TradeID)
		if err != nil {
			return fmt.Errorf("create evaluation template: %w", err)
		}
		for rows.Next() {
			var id uuid.UUID
			var title string
			if err := rows.Scan(&id, &title); err != nil {
				rows.Close()
				return fmt.Errorf("create evaluation template: %w", err)
			}
			comps[id] = title
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("create evaluation template: %w", err)
		}
		err = tx.QueryRow(ctx, `INSERT INTO evaluation_templates
				(id, trade_id, title, scale_min, scale_max, scale_labels, months_after_start, days_before_end)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING created_at`,
			t.ID, t.TradeID, t.Title, t.ScaleMin, t.ScaleMax, labels, t.MonthsAfterStart, t.DaysBeforeEnd).Scan(&t.CreatedAt)
		if err != nil {
			return fmt.Errorf("create evaluation template: %w", err)
		}
		batch := &pgx.Batch{}
		for i, c := range in.Criteria {
			label := c.Label
			if c.CompetencyID != nil {
				title, ok := comps[*c.CompetencyID]
				if !ok {
					return apperr.Invalid("criteria", "criterion %d: the competency is not in the trade's framework", i+1)
				}
				if label == "" {
					label = title
				}
			}
			batch.Queue(`INSERT INTO evaluation_template_criteria (template_id, position, competency_id, label, description)
				VALUES ($1, $2, $3, $4, $5)`, t.ID, i+1, c.CompetencyID, label, c.Description)
		}
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return fmt.Errorf("create evaluation template criteria: %w", err)
		}
		if err := audit.Record(ctx, tx, audit.Entry{
			Action: "evaluation_template.created", TargetType: "evaluation_template", TargetID: t.ID.String(),
			Details: map[string]any{"tradeId": t.TradeID, "title": t.Title, "criteria": len(in.Criteria)},
		}); err != nil {
			return err
		}
		var active []uuid.UUID
		rows, err = tx.Query(ctx, `SELECT id FROM contracts WHERE trade_id = $1 AND status = 'ACTIVE' ORDER BY id`, t.TradeID)
		if err != nil {
			return fmt.Errorf("create evaluation template: %w", err)
		}
		active, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		if err != nil {
			return fmt.Errorf("create evaluation template: %w", err)
		}
		return schedule(ctx, tx, active)
	})
	if err != nil {
		return Template{}, err
	}
	return t, nil
}

const templateColumns = `id, trade_id, title, scale_min, scale_max, scale_labels, months_after_start, days_before_end, created_at`

func scanTemplate(r pgx.CollectableRow) (Template, error) {
	var t Template
	err := r.Scan(&t.ID, &t.TradeID, &t.Title, &t.ScaleMin, &t.ScaleMax, &t.ScaleLabels, &t.MonthsAfterStart, &t.DaysBeforeEnd, &t.CreatedAt)
	return t, err
}

// GetTemplates loads templates by id in key order (dataloader batch function;
// templates are reference data, visible to every signed-in user).
func GetTemplates(ctx context.Context, db postgres.DB, ids []uuid.UUID) ([]Template, []error) {
	rows, err := db.Query(ctx, `SELECT `+templateColumns+` FROM evaluation_templates WHERE id = ANY($1::uuid[])`, ids)
	if err != nil {
		return nil, []error{fmt.Errorf("load evaluation templates: %w", err)}
	}
	found, err := pgx.CollectRows(rows, scanTemplate)
	if err != nil {
		return nil, []error{fmt.Errorf("load evaluation templates: %w", err)}
	}
	return postgres.InKeyOrder(ids, found, func(t Template) uuid.UUID { return t.ID }, "evaluation template")
}

// VisibleTemplates returns the templates among ids, any order. Templates
// are reference data: every signed-in user sees them (UNAUTHENTICATED
// otherwise), as they see the trades.
func VisibleTemplates(ctx context.Context, db postgres.DB, ids []uuid.UUID) ([]Template, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, `SELECT `+templateColumns+` FROM evaluation_templates WHERE id = ANY($1::uuid[])`, ids)
	if err != nil {
		return nil, fmt.Errorf("get evaluation templates: %w", err)
	}
	return pgx.CollectRows(rows, scanTemplate)
}

// VisibleTemplateCriteria returns the template criteria among ids, any
// order; visible to every signed-in user, like their templates.
func VisibleTemplateCriteria(ctx context.Context, db postgres.DB, ids []uuid.UUID) ([]TemplateCriterion, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, `SELECT `+templateCriterionColumns+`
		FROM evaluation_template_criteria WHERE id = ANY($1::uuid[])`, ids)
	if err != nil {
		return nil, fmt.Errorf("get template criteria: %w", err)
	}
	return pgx.CollectRows(rows, scanTemplateCriterion)
}

func getTemplate(ctx context.Context, db postgres.DB, id uuid.UUID) (Template, error) {
	out, errs := GetTemplates(ctx, db, []uuid.UUID{id})
	if errs != nil {
		return Template{}, errs[0]
	}
	return out[0], nil
}

// TemplateCriteriaOf loads the criteria of templates in position order, one
// slice per template id (dataloader batch function).
func TemplateCriteriaOf(ctx context.Context, db postgres.DB, ids []uuid.UUID) ([][]TemplateCriterion, []error) {
	rows, err := db.Query(ctx, `SELECT `+templateCriterionColumns+`
		FROM evaluation_template_criteria WHERE template_id = ANY($1::uuid[]) ORDER BY template_id, position`, ids)
	if err != nil {
		return nil, []error{fmt.Errorf("load template criteria: %w", err)}
	}
	found, err := pgx.CollectRows(rows, scanTemplateCriterion)
	if err != nil {
		return nil, []error{fmt.Errorf("load template criteria: %w", err)}
	}
	return postgres.GroupByKey(ids, found, func(c TemplateCriterion) uuid.UUID { return c.TemplateID }), nil
}

const templateCriterionColumns = `id, template_id, position, competency_id, label, description`

func scanTemplateCriterion(r pgx.CollectableRow) (TemplateCriterion, error) {
	var c TemplateCriterion
	err := r.Scan(&c.ID, &c.TemplateID, &c.Position, &c.CompetencyID, &c.Label, &c.Description)
	return c, err
}
