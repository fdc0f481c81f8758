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
	"jalon/internal/followup"
	"jalon/internal/logbook"
	"jalon/internal/orgs"
	"jalon/internal/risk"
	"jalon/internal/users"
	"jalon/internal/visits"
)

// wait is how long a loader gathers keys before it queries.
const wait = time.Millisecond

// Loaders holds one request's loaders. Areas add theirs here.
type Loaders struct {
	// Pages remembers the pages listed so far in the request.
	Pages *Pages

	// Users by id, one loader per field that asks (People serves a
	// contract's three people together): fields at different depths of one
	// screen (a follow-up's owner, its contract's apprentice) would share a
	// batch or not depending on timing; apart, each costs one statement per
	// page whatever the timing.
	People        *dataloadgen.Loader[uuid.UUID, users.User]
	Owners        *dataloadgen.Loader[uuid.UUID, users.User]
	Reviewers     *dataloadgen.Loader[uuid.UUID, users.User]
	VisitAdvisers *dataloadgen.Loader[uuid.UUID, users.User]
	Signers       *dataloadgen.Loader[uuid.UUID, users.User]
	// LinkPeople: the apprentices and guardians of guardian links.
	LinkPeople *dataloadgen.Loader[uuid.UUID, users.User]
	// Me loads only the caller, for fields that depend on who asks (a
	// label's language).
	Me           *dataloadgen.Loader[uuid.UUID, users.User]
	Companies    *dataloadgen.Loader[uuid.UUID, orgs.Company]
	Centres      *dataloadgen.Loader[uuid.UUID, orgs.Centre]
	Trades       *dataloadgen.Loader[uuid.UUID, orgs.Trade]
	Competencies *dataloadgen.Loader[uuid.UUID, orgs.Competency]
	// TradeCompetencies loads a trade's whole framework by trade id.
	TradeCompetencies *dataloadgen.Loader[uuid.UUID, []orgs.Competency]
	// Contracts by id: each batch is remembered in ListedContracts, so the
	// fields of the contracts of a page of entries or follow-ups load for
	// all of them at once.
	Contracts *dataloadgen.Loader[uuid.UUID, contracts.Contract]
	// ListedContracts remembers the pages of contracts listed (their
	// people, company, centre and trade load for the whole page).
	ListedContracts *Listed[contracts.Contract]
	// ListedTrades: the pages of trades listed or loaded (their frameworks
	// load together through ForPage).
	ListedTrades *Listed[orgs.Trade]
	// ListedFollowUps, ListedVisits, ListedPlanning, ListedEvaluations:
	// the pages of those records listed (see Listed).
	ListedFollowUps   *Listed[followup.FollowUp]
	ListedVisits      *Listed[visits.Visit]
	ListedPlanning    *Listed[visits.PlanningItem]
	ListedEvaluations *Listed[evaluations.Evaluation]
	// Evaluations: templates by id, and by evaluation (or template) id the
	// criteria and signatures (see evaluations.go).
	EvaluationTemplates        *dataloadgen.Loader[uuid.UUID, evaluations.Template]
	EvaluationTemplateCriteria *dataloadgen.Loader[uuid.UUID, []evaluations.TemplateCriterion]
	EvaluationCriteria         *dataloadgen.Loader[uuid.UUID, []evaluations.Criterion]
	EvaluationSignatures       *dataloadgen.Loader[uuid.UUID, []evaluations.Signature]
	// ContractEvaluations: first pages and counts of Contract.evaluations.
	ContractEvaluations      *ChildPages[EvaluationFilter, evaluations.Evaluation]
	ContractEvaluationCounts *dataloadgen.Loader[ChildKey[EvaluationFilter], int]

	// NextVisits, ContractVisits and ContractVisitCounts serve
	// Contract.nextVisit, the first page of Contract.visits and its
	// totalCount over a list of contracts.
	NextVisits          *dataloadgen.Loader[NextVisitKey, *visits.Visit]
	ContractVisits      *ChildPages[VisitFilter, visits.Visit]
	ContractVisitCounts *dataloadgen.Loader[ChildKey[VisitFilter], int]
	// Log book: see logbook.go.
	LogBook
	// LatestScores: by contract id, the latest signed score per competency.
	LatestScores *dataloadgen.Loader[uuid.UUID, map[uuid.UUID]evaluations.LatestScore]
	// Risk: see risk.go.
	Risk
}

// Sources are the services the loaders read through, built once in
// internal/app. One field per line, alphabetical (areas add theirs).
type Sources struct {
	Contracts   *contracts.Service
	Evaluations *evaluations.Service
	Logbook     *logbook.Service
	Orgs        *orgs.Service
	Risk        *risk.Service
	Users       *users.Service
	Visits      *visits.Service
}

// New returns fresh loaders reading through src.
func New(src Sources) *Loaders {
	opt := dataloadgen.WithWait(wait)
	pages := &Pages{}
	listedContracts := NewListed(pages, func(c contracts.Contract) uuid.UUID { return c.ID })
	trades := NewListed(pages, func(t orgs.Trade) uuid.UUID { return t.ID })
	l := &Loaders{
		Pages:             pages,
		ListedContracts:   listedContracts,
		ListedTrades:      trades,
		ListedFollowUps:   NewListed(pages, func(f followup.FollowUp) uuid.UUID { return f.ID }),
		LogBook:           newLogBook(src.Logbook, src.Orgs, pages),
		People:            dataloadgen.NewLoader(src.Users.GetMany, opt),
		Owners:            dataloadgen.NewLoader(src.Users.GetMany, opt),
		Reviewers:         dataloadgen.NewLoader(src.Users.GetMany, opt),
		VisitAdvisers:     dataloadgen.NewLoader(src.Users.GetMany, opt),
		Signers:           dataloadgen.NewLoader(src.Users.GetMany, opt),
		LinkPeople:        dataloadgen.NewLoader(src.Users.GetMany, opt),
		Me:                dataloadgen.NewLoader(src.Users.GetMany, opt),
		Companies:         dataloadgen.NewLoader(src.Orgs.GetCompanies, opt),
		Centres:           dataloadgen.NewLoader(src.Orgs.GetCentres, opt),
		Trades:            dataloadgen.NewLoader(remembering(src.Orgs.GetTrades, trades.Remember), opt),
		Competencies:      dataloadgen.NewLoader(src.Orgs.GetCompetencies, opt),
		TradeCompetencies: dataloadgen.NewLoader(src.Orgs.CompetenciesOfTrades, opt),
		Contracts:         dataloadgen.NewLoader(remembering(src.Contracts.GetMany, listedContracts.Remember), opt),
	}
	l.newVisitLoaders(src.Visits)
	l.Risk = newRisk(src.Risk, src.Users, pages)
	l.addEvaluations(src.Evaluations, pages)
	return l
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
