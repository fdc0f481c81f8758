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

	"jalon/internal/apperr"
	"jalon/internal/auth"
	"jalon/internal/contracts"
	"jalon/internal/evaluations"
	"jalon/internal/followup"
	"jalon/internal/guardians"
	"jalon/internal/logbook"
	"jalon/internal/node/nodedb"
	"jalon/internal/notify"
	"jalon/internal/orgs"
	"jalon/internal/postgres"
	"jalon/internal/push"
	"jalon/internal/service"
	"jalon/internal/users"
	"jalon/internal/visits"
)

// MaxIDs bounds nodes(ids:), as a page of a connection is bounded.
const MaxIDs = 100

// Finder looks records up by id whatever their type. It is built once in
// internal/app from the areas' services; Base's database serves the type
// lookup (nodedb) and the areas whose Visible is not a service method yet.
type Finder struct {
	service.Base
	Contracts   *contracts.Service
	Evaluations *evaluations.Service
	FollowUps   *followup.Service
	Guardians   *guardians.Service
	Logbook     *logbook.Service
	Notify      *notify.Service
	Orgs        *orgs.Service
	Push        *push.Service
	Users       *users.Service
	Visits      *visits.Service
}

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
		{"User", byID(f.Users.Visible, func(u users.User) uuid.UUID { return u.ID })},
		{"Company", byID(f.Orgs.VisibleCompanies, func(c orgs.Company) uuid.UUID { return c.ID })},
		{"TrainingCentre", byID(f.Orgs.VisibleCentres, func(c orgs.Centre) uuid.UUID { return c.ID })},
		{"Trade", byID(f.Orgs.VisibleTrades, func(t orgs.Trade) uuid.UUID { return t.ID })},
		{"Competency", byID(f.Orgs.VisibleCompetencies, func(c orgs.Competency) uuid.UUID { return c.ID })},
		{"Contract", byID(f.Contracts.Visible, func(c contracts.Contract) uuid.UUID { return c.ID })},
		{"LogEntry", byID(f.Logbook.Visible, func(e logbook.Entry) uuid.UUID { return e.ID })},
		{"Attachment", byID(f.Logbook.VisibleAttachments, func(a logbook.Attachment) uuid.UUID { return a.ID })},
		{"Visit", byID(f.Visits.Visible, func(v visits.Visit) uuid.UUID { return v.ID })},
		{"Evaluation", byID(f.Evaluations.Visible, func(e evaluations.Evaluation) uuid.UUID { return e.ID })},
		{"EvaluationCriterion", byID(f.Evaluations.VisibleCriteria, func(c evaluations.Criterion) uuid.UUID { return c.ID })},
		{"EvaluationTemplate", byID(f.Evaluations.VisibleTemplates, func(t evaluations.Template) uuid.UUID { return t.ID })},
		{"EvaluationTemplateCriterion", byID(f.Evaluations.VisibleTemplateCriteria,
			func(c evaluations.TemplateCriterion) uuid.UUID { return c.ID })},
		{"Notification", byID(f.Notify.Visible, func(n notify.Notification) uuid.UUID { return n.ID })},
		{"Device", byID(f.Push.VisibleDevices, func(d push.Device) uuid.UUID { return d.ID })},
		{"FollowUp", byID(f.FollowUps.Visible, func(x followup.FollowUp) uuid.UUID { return x.ID })},
		{"GuardianLink", byID(f.Guardians.Visible, func(l guardians.Link) uuid.UUID { return l.ID })},
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
	hits, err := nodedb.New(f.DB).NodeTypes(ctx, ids)
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
