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
	"jalon/internal/evaluations/evaluationsdb"
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
		q := evaluationsdb.New(tx)
		exists, err := q.TradeExistsForShare(ctx, in.TradeID)
		if err != nil {
			return fmt.Errorf("create evaluation template: %w", err)
		}
		if !exists {
			return apperr.Invalid("tradeId", "unknown trade")
		}
		comps, err := q.TradeCompetencies(ctx, in.TradeID)
		if err != nil {
			return fmt.Errorf("create evaluation template: %w", err)
		}
		titles := make(map[uuid.UUID]string, len(comps))
		for _, c := range comps {
			titles[c.ID] = c.Title
		}
		t.CreatedAt, err = q.InsertTemplate(ctx, evaluationsdb.InsertTemplateParams{
			ID: t.ID, TradeID: t.TradeID, Title: t.Title, ScaleMin: int32(t.ScaleMin), ScaleMax: int32(t.ScaleMax),
			ScaleLabels: labels, MonthsAfterStart: int32s(t.MonthsAfterStart), DaysBeforeEnd: int32Ptr(t.DaysBeforeEnd),
		})
		if err != nil {
			return fmt.Errorf("create evaluation template: %w", err)
		}
		criteria := make([]evaluationsdb.InsertTemplateCriterionParams, len(in.Criteria))
		for i, c := range in.Criteria {
			label := c.Label
			if c.CompetencyID != nil {
				title, ok := titles[*c.CompetencyID]
				if !ok {
					return apperr.Invalid("criteria", "criterion %d: the competency is not in the trade's framework", i+1)
				}
				if label == "" {
					label = title
				}
			}
			criteria[i] = evaluationsdb.InsertTemplateCriterionParams{TemplateID: t.ID, Position: int32(i + 1),
				CompetencyID: c.CompetencyID, Label: label, Description: c.Description}
		}
		if err := q.InsertTemplateCriterion(ctx, criteria).Close(); err != nil {
			return fmt.Errorf("create evaluation template criteria: %w", err)
		}
		if err := audit.Record(ctx, tx, audit.Entry{
			Action: "evaluation_template.created", TargetType: "evaluation_template", TargetID: t.ID.String(),
			Details: map[string]any{"tradeId": t.TradeID, "title": t.Title, "criteria": len(in.Criteria)},
		}); err != nil {
			return err
		}
		active, err := q.ActiveContractsOfTrade(ctx, t.TradeID)
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

func toTemplate(r evaluationsdb.EvaluationTemplate) (Template, error) {
	t := Template{
		ID: r.ID, TradeID: r.TradeID, Title: r.Title, ScaleMin: int(r.ScaleMin), ScaleMax: int(r.ScaleMax),
		MonthsAfterStart: ints(r.MonthsAfterStart), DaysBeforeEnd: intPtr(r.DaysBeforeEnd), CreatedAt: r.CreatedAt,
	}
	if err := json.Unmarshal(r.ScaleLabels, &t.ScaleLabels); err != nil {
		return Template{}, fmt.Errorf("evaluation template %s: scale labels: %w", r.ID, err)
	}
	return t, nil
}

func templates(ctx context.Context, db postgres.DB, ids []uuid.UUID) ([]Template, error) {
	rows, err := evaluationsdb.New(db).TemplatesByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Template, len(rows))
	for i, r := range rows {
		if out[i], err = toTemplate(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// GetTemplates loads templates by id in key order (a batch for a loader;
// templates are reference data, visible to every signed-in user).
func (s *Service) GetTemplates(ctx context.Context, ids []uuid.UUID) ([]Template, []error) {
	return getTemplates(ctx, s.DB, ids)
}

func getTemplates(ctx context.Context, db postgres.DB, ids []uuid.UUID) ([]Template, []error) {
	found, err := templates(ctx, db, ids)
	if err != nil {
		return nil, []error{fmt.Errorf("load evaluation templates: %w", err)}
	}
	return postgres.InKeyOrder(ids, found, func(t Template) uuid.UUID { return t.ID }, "evaluation template")
}

func getTemplate(ctx context.Context, db postgres.DB, id uuid.UUID) (Template, error) {
	out, errs := getTemplates(ctx, db, []uuid.UUID{id})
	if errs != nil {
		return Template{}, errs[0]
	}
	return out[0], nil
}

// VisibleTemplates returns the templates among ids, any order. Templates
// are reference data: every signed-in user sees them (UNAUTHENTICATED
// otherwise), as they see the trades.
func (s *Service) VisibleTemplates(ctx context.Context, ids []uuid.UUID) ([]Template, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	found, err := templates(ctx, s.DB, ids)
	if err != nil {
		return nil, fmt.Errorf("get evaluation templates: %w", err)
	}
	return found, nil
}

// VisibleTemplateCriteria returns the template criteria among ids, any
// order; visible to every signed-in user, like their templates.
func (s *Service) VisibleTemplateCriteria(ctx context.Context, ids []uuid.UUID) ([]TemplateCriterion, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	rows, err := s.q().TemplateCriteriaByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("get template criteria: %w", err)
	}
	return mapAll(rows, toTemplateCriterion), nil
}

// TemplateCriteriaOf loads the criteria of templates in position order, one
// slice per template id (a batch for a loader).
func (s *Service) TemplateCriteriaOf(ctx context.Context, ids []uuid.UUID) ([][]TemplateCriterion, []error) {
	rows, err := s.q().TemplateCriteriaOf(ctx, ids)
	if err != nil {
		return nil, []error{fmt.Errorf("load template criteria: %w", err)}
	}
	return postgres.GroupByKey(ids, mapAll(rows, toTemplateCriterion), func(c TemplateCriterion) uuid.UUID { return c.TemplateID }), nil
}
