// Package loaders batches the loads of related records within one request
// (dataloaders), so resolving a page of N items costs a constant number of
// SQL statements, not N.
package loaders

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"jalon/internal/contracts"
	"jalon/internal/evaluations"
	"jalon/internal/logbook"
	"jalon/internal/orgs"
	"jalon/internal/page"
	"jalon/internal/users"
	"jalon/internal/visits"
)

// wait is how long a loader gathers keys before it queries.
const wait = time.Millisecond

// Loaders holds one request's loaders. Areas add theirs here.
type Loaders struct {
	// Pages remembers the pages listed so far in the request.
	Pages *Pages

	Users        *dataloadgen.Loader[uuid.UUID, users.User]
	Companies    *dataloadgen.Loader[uuid.UUID, orgs.Company]
	Centres      *dataloadgen.Loader[uuid.UUID, orgs.Centre]
	Trades       *dataloadgen.Loader[uuid.UUID, orgs.Trade]
	Competencies *dataloadgen.Loader[uuid.UUID, orgs.Competency]
	// TradeCompetencies loads a trade's whole framework by trade id.
	TradeCompetencies *dataloadgen.Loader[uuid.UUID, []orgs.Competency]
	Contracts         *dataloadgen.Loader[uuid.UUID, contracts.Contract]
	// ListedContracts remembers the pages of contracts listed (their
	// people, company, centre and trade load for the whole page).
	ListedContracts *Listed[contracts.Contract]
	// Evaluations: templates by id, and by evaluation (or template) id the
	// criteria and signatures.
	EvaluationTemplates        *dataloadgen.Loader[uuid.UUID, evaluations.Template]
	EvaluationTemplateCriteria *dataloadgen.Loader[uuid.UUID, []evaluations.TemplateCriterion]
	EvaluationCriteria         *dataloadgen.Loader[uuid.UUID, []evaluations.Criterion]
	EvaluationSignatures       *dataloadgen.Loader[uuid.UUID, []evaluations.Signature]
	// ContractEvaluations: first pages and counts of Contract.evaluations.
	ContractEvaluations      *dataloadgen.Loader[evaluations.ContractPageKey, page.Page[evaluations.Evaluation]]
	ContractEvaluationCounts *dataloadgen.Loader[evaluations.ContractCountKey, int]

	// NextVisits, ContractVisits and ContractVisitCounts serve
	// Contract.nextVisit, Contract.visits and its totalCount.
	NextVisits          *dataloadgen.Loader[visits.NextKey, *visits.Visit]
	ContractVisits      *dataloadgen.Loader[visits.PageKey, page.Page[visits.Visit]]
	ContractVisitCounts *dataloadgen.Loader[visits.CountKey, int]
	// LogEntryCompetencies and LogAttachments load by log entry id.
	LogEntryCompetencies *dataloadgen.Loader[uuid.UUID, []orgs.Competency]
	LogAttachments       *dataloadgen.Loader[uuid.UUID, []logbook.Attachment]
	// ContractLogEntries and ContractLogEntryCounts serve the first page of
	// Contract.logEntries and its totalCount over a list of contracts.
	ContractLogEntries     *dataloadgen.Loader[logbook.ContractPageKey, page.Page[logbook.Entry]]
	ContractLogEntryCounts *dataloadgen.Loader[logbook.ContractPageKey, int]
	// CompetencyProgress: by contract id, Contract.competencyProgress.
	CompetencyProgress *dataloadgen.Loader[uuid.UUID, []logbook.CompetencyProgress]
	// LatestScores: by contract id, the latest signed score per competency.
	LatestScores *dataloadgen.Loader[uuid.UUID, map[uuid.UUID]evaluations.LatestScore]
}

// Sources are the services the loaders read through, built once in
// internal/app. One field per line, alphabetical (areas add theirs).
type Sources struct {
	Contracts   *contracts.Service
	Evaluations *evaluations.Service
	Logbook     *logbook.Service
	Orgs        *orgs.Service
	Users       *users.Service
	Visits      *visits.Service
}

// onDB adapts a package batch function taking the database to dataloadgen's
// shape, given a service's database handle: a stopgap for areas whose batch
// loads are not service methods yet (it keeps this package from naming
// internal/postgres; it goes when the last area has moved).
func onDB[D any, K comparable, V any](fn func(context.Context, D, []K) ([]V, []error), handle any) func(context.Context, []K) ([]V, []error) {
	db := handle.(D) // at construction: a mismatch fails at start, not in a request
	return func(ctx context.Context, keys []K) ([]V, []error) { return fn(ctx, db, keys) }
}

// New returns fresh loaders reading through src.
func New(src Sources) *Loaders {
	opt := dataloadgen.WithWait(wait)
	pages := &Pages{}
	return &Loaders{
		Pages:             pages,
		ListedContracts:   &Listed[contracts.Contract]{},
		Users:             dataloadgen.NewLoader(src.Users.GetMany, opt),
		Companies:         dataloadgen.NewLoader(src.Orgs.GetCompanies, opt),
		Centres:           dataloadgen.NewLoader(src.Orgs.GetCentres, opt),
		Trades:            dataloadgen.NewLoader(remembering(pages, src.Orgs.GetTrades, func(t orgs.Trade) uuid.UUID { return t.ID }), opt),
		Competencies:      dataloadgen.NewLoader(src.Orgs.GetCompetencies, opt),
		TradeCompetencies: dataloadgen.NewLoader(src.Orgs.CompetenciesOfTrades, opt),
		Contracts:         dataloadgen.NewLoader(src.Contracts.GetMany, opt),

		EvaluationTemplates:        dataloadgen.NewLoader(onDB(evaluations.GetTemplates, src.Evaluations.DB), opt),
		EvaluationTemplateCriteria: dataloadgen.NewLoader(onDB(evaluations.TemplateCriteriaOf, src.Evaluations.DB), opt),
		EvaluationCriteria:         dataloadgen.NewLoader(onDB(evaluations.CriteriaOf, src.Evaluations.DB), opt),
		EvaluationSignatures:       dataloadgen.NewLoader(onDB(evaluations.SignaturesOf, src.Evaluations.DB), opt),
		ContractEvaluations:        dataloadgen.NewLoader(onDB(evaluations.FirstPagesOf, src.Evaluations.DB), opt),
		ContractEvaluationCounts:   dataloadgen.NewLoader(onDB(evaluations.CountsOf, src.Evaluations.DB), opt),
		NextVisits:                 dataloadgen.NewLoader(onDB(visits.NextVisits, src.Visits.DB), opt),
		ContractVisits:             dataloadgen.NewLoader(onDB(visits.ContractPages, src.Visits.DB), opt),
		ContractVisitCounts:        dataloadgen.NewLoader(onDB(visits.ContractCounts, src.Visits.DB), opt),
		LogEntryCompetencies:       dataloadgen.NewLoader(onDB(logbook.CompetenciesOf, src.Logbook.DB), opt),
		LogAttachments:             dataloadgen.NewLoader(onDB(logbook.AttachmentsOf, src.Logbook.DB), opt),
		LatestScores:               dataloadgen.NewLoader(onDB(evaluations.LatestScoresOf, src.Evaluations.DB), opt),
		ContractLogEntries:         dataloadgen.NewLoader(onDB(logbook.ContractFirstPages, src.Logbook.DB), opt),
		CompetencyProgress:         dataloadgen.NewLoader(onDB(logbook.ProgressOf, src.Logbook.DB), opt),
		ContractLogEntryCounts:     dataloadgen.NewLoader(onDB(logbook.ContractCounts, src.Logbook.DB), opt),
	}
}

type key struct{}

// Middleware gives every request its own loaders (a cache must not outlive
// the request, nor be shared between callers).
func Middleware(src Sources, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), key{}, New(src))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// With returns ctx carrying fresh loaders (websocket operations, tests).
func With(ctx context.Context, src Sources) context.Context {
	return context.WithValue(ctx, key{}, New(src))
}

// For returns the request's loaders.
func For(ctx context.Context) *Loaders {
	return ctx.Value(key{}).(*Loaders)
}
