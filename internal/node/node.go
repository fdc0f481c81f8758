// Package node answers Relay's object identification, node(id:) and
// nodes(ids:). Ids are the records' UUIDs, unique across tables, so a lookup
// first asks which table holds each id (one UNION ALL over primary keys),
// then asks each type's own domain package for the records of that type the
// caller may see (one batched query per type present, never per id). The
// rule deciding who sees a record is therefore the typed query's own
// (contracts.Get, logbook's Get, ... share the Visible functions used here);
// this package decides nothing. A record the caller may not see is answered
// exactly as an id that does not exist.
package node

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/apperr"
	"jalon/internal/auth"
	"jalon/internal/contracts"
	"jalon/internal/evaluations"
	"jalon/internal/followup"
	"jalon/internal/logbook"
	"jalon/internal/notify"
	"jalon/internal/orgs"
	"jalon/internal/postgres"
	"jalon/internal/push"
	"jalon/internal/users"
	"jalon/internal/visits"
)

// MaxIDs bounds nodes(ids:), as a page of a connection is bounded.
const MaxIDs = 100

// Finder looks records up by id whatever their type.
type Finder struct {
	DB          postgres.DB
	Logbook     *logbook.Service
	Evaluations *evaluations.Service
	Notify      *notify.Service
	Push        *push.Service
}

// typesOf finds the table of each id: every branch is a primary-key lookup.
// The type names are the GraphQL types', in the order kinds lists them.
const typesOf = `
	SELECT id, 'User' FROM users WHERE id = ANY($1::uuid[])
	UNION ALL SELECT id, 'Company' FROM companies WHERE id = ANY($1::uuid[])
	UNION ALL SELECT id, 'TrainingCentre' FROM training_centres WHERE id = ANY($1::uuid[])
	UNION ALL SELECT id, 'Trade' FROM trades WHERE id = ANY($1::uuid[])
	UNION ALL SELECT id, 'Competency' FROM competencies WHERE id = ANY($1::uuid[])
	UNION ALL SELECT id, 'Contract' FROM contracts WHERE id = ANY($1::uuid[])
	UNION ALL SELECT id, 'LogEntry' FROM log_entries WHERE id = ANY($1::uuid[])
	UNION ALL SELECT id, 'Attachment' FROM log_attachments WHERE id = ANY($1::uuid[])
	UNION ALL SELECT id, 'Visit' FROM visits WHERE id = ANY($1::uuid[])
	UNION ALL SELECT id, 'Evaluation' FROM evaluations WHERE id = ANY($1::uuid[])
	UNION ALL SELECT id, 'EvaluationCriterion' FROM evaluation_criteria WHERE id = ANY($1::uuid[])
	UNION ALL SELECT id, 'EvaluationTemplate' FROM evaluation_templates WHERE id = ANY($1::uuid[])
	UNION ALL SELECT id, 'EvaluationTemplateCriterion' FROM evaluation_template_criteria WHERE id = ANY($1::uuid[])
	UNION ALL SELECT id, 'Notification' FROM notifications WHERE id = ANY($1::uuid[])
	UNION ALL SELECT id, 'Device' FROM devices WHERE id = ANY($1::uuid[])
	UNION ALL SELECT id, 'FollowUp' FROM follow_ups WHERE id = ANY($1::uuid[])`

// loader returns the records among ids of one type that the caller may see,
// by id (pointers to the domain records the GraphQL types are bound to).
type loader func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]any, error)

// kind is one Node type and the domain function that decides its visibility.
type kind struct {
	name string
	load loader
}

// kinds lists every Node type in precedence order (should a hand-made id
// ever exist in two tables, the first type the caller may see wins).
func (f *Finder) kinds() []kind {
	return []kind{
		{"User", byID(onDB(f.DB, users.Visible), func(u users.User) uuid.UUID { return u.ID })},
		{"Company", byID(onDB(f.DB, orgs.VisibleCompanies), func(c orgs.Company) uuid.UUID { return c.ID })},
		{"TrainingCentre", byID(onDB(f.DB, orgs.VisibleCentres), func(c orgs.Centre) uuid.UUID { return c.ID })},
		{"Trade", byID(onDB(f.DB, orgs.VisibleTrades), func(t orgs.Trade) uuid.UUID { return t.ID })},
		{"Competency", byID(onDB(f.DB, orgs.VisibleCompetencies), func(c orgs.Competency) uuid.UUID { return c.ID })},
		{"Contract", byID(onDB(f.DB, contracts.Visible), func(c contracts.Contract) uuid.UUID { return c.ID })},
		{"LogEntry", byID(f.Logbook.Visible, func(e logbook.Entry) uuid.UUID { return e.ID })},
		{"Attachment", byID(f.Logbook.VisibleAttachments, func(a logbook.Attachment) uuid.UUID { return a.ID })},
		{"Visit", byID(onDB(f.DB, visits.Visible), func(v visits.Visit) uuid.UUID { return v.ID })},
		{"Evaluation", byID(f.Evaluations.Visible, func(e evaluations.Evaluation) uuid.UUID { return e.ID })},
		{"EvaluationCriterion", byID(f.Evaluations.VisibleCriteria, func(c evaluations.Criterion) uuid.UUID { return c.ID })},
		{"EvaluationTemplate", byID(onDB(f.DB, evaluations.VisibleTemplates), func(t evaluations.Template) uuid.UUID { return t.ID })},
		{"EvaluationTemplateCriterion", byID(onDB(f.DB, evaluations.VisibleTemplateCriteria),
			func(c evaluations.TemplateCriterion) uuid.UUID { return c.ID })},
		{"Notification", byID(f.Notify.Visible, func(n notify.Notification) uuid.UUID { return n.ID })},
		{"Device", byID(f.Push.VisibleDevices, func(d push.Device) uuid.UUID { return d.ID })},
		{"FollowUp", byID(onDB(f.DB, followup.Visible), func(x followup.FollowUp) uuid.UUID { return x.ID })},
	}
}

// Get returns the record with id when the caller may see it; NOT_FOUND
// otherwise, whether it does not exist or is not the caller's.
func (f *Finder) Get(ctx context.Context, id uuid.UUID) (any, error) {
	found, err := f.GetMany(ctx, []uuid.UUID{id})
	if err != nil {
		return nil, err
	}
	if found[0] == nil {
		return nil, apperr.NotFoundf("node")
	}
	return found[0], nil
}

// GetMany returns one entry per id, in order: the record, or nil where Get
// would answer NOT_FOUND. VALIDATION_FAILED (field ids) above MaxIDs.
func (f *Finder) GetMany(ctx context.Context, ids []uuid.UUID) ([]any, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	if len(ids) > MaxIDs {
		return nil, apperr.Invalid("ids", "at most %d ids", MaxIDs)
	}
	typed, err := f.typesOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	// found[type][id] holds what the caller may see, one load per type.
	found := map[string]map[uuid.UUID]any{}
	ks := f.kinds()
	for _, k := range ks {
		if ofKind := typed[k.name]; len(ofKind) > 0 {
			if found[k.name], err = k.load(ctx, ofKind); err != nil {
				return nil, err
			}
		}
	}
	out := make([]any, len(ids))
	for i, id := range ids {
		for _, k := range ks {
			if rec, ok := found[k.name][id]; ok {
				out[i] = rec
				break
			}
		}
	}
	return out, nil
}

// typesOf groups the distinct ids that exist by the type of their table.
func (f *Finder) typesOf(ctx context.Context, ids []uuid.UUID) (map[string][]uuid.UUID, error) {
	rows, err := f.DB.Query(ctx, typesOf, ids)
	if err != nil {
		return nil, fmt.Errorf("find node types: %w", err)
	}
	type hit struct {
		ID   uuid.UUID
		Type string
	}
	hits, err := pgx.CollectRows(rows, pgx.RowToStructByPos[hit])
	if err != nil {
		return nil, fmt.Errorf("find node types: %w", err)
	}
	out := map[string][]uuid.UUID{}
	for _, h := range hits {
		out[h.Type] = append(out[h.Type], h.ID)
	}
	return out, nil
}

// onDB binds a package-level Visible function to the database.
func onDB[T any](db postgres.DB, fn func(context.Context, postgres.DB, []uuid.UUID) ([]T, error)) func(context.Context, []uuid.UUID) ([]T, error) {
	return func(ctx context.Context, ids []uuid.UUID) ([]T, error) { return fn(ctx, db, ids) }
}

// byID turns a Visible function into a loader keyed by id.
func byID[T any](visible func(context.Context, []uuid.UUID) ([]T, error), idOf func(T) uuid.UUID) loader {
	return func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]any, error) {
		recs, err := visible(ctx, ids)
		if err != nil {
			return nil, err
		}
		out := make(map[uuid.UUID]any, len(recs))
		for i := range recs {
			out[idOf(recs[i])] = &recs[i]
		}
		return out, nil
	}
}
