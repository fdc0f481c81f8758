package loaders

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"jalon/internal/apperr"
	"jalon/internal/logbook"
	"jalon/internal/orgs"
)

// LogBook holds the log book's loaders of one request.
type LogBook struct {
	// ListedEntries remembers the pages of entries listed (their contracts
	// load for the whole page, and their reviewers as one page).
	ListedEntries *Listed[logbook.Entry]
	// ContractLogEntries and ContractLogEntryCounts serve the first page of
	// Contract.logEntries and its totalCount over a list of contracts.
	ContractLogEntries     *ChildPages[LogEntryFilter, logbook.Entry]
	ContractLogEntryCounts *dataloadgen.Loader[ChildKey[LogEntryFilter], int]
	// LogEntryCompetencies and LogAttachments load by log entry id.
	LogEntryCompetencies *dataloadgen.Loader[uuid.UUID, []orgs.Competency]
	LogAttachments       *dataloadgen.Loader[uuid.UUID, []logbook.Attachment]
	// CompetencyProgress: by contract id, Contract.competencyProgress; the
	// competencies of a batch are remembered as one page, for
	// ProgressCompetencies (its own instance: a field at its depth only).
	CompetencyProgress   *dataloadgen.Loader[uuid.UUID, []logbook.CompetencyProgress]
	ProgressCompetencies *dataloadgen.Loader[uuid.UUID, orgs.Competency]
	// HoursSummaries: by contract and period, Contract.hoursSummary.
	HoursSummaries *dataloadgen.Loader[HoursKey, []logbook.WeekHours]
}

func newLogBook(s *logbook.Service, o *orgs.Service, pages *Pages) LogBook {
	opt := dataloadgen.WithWait(wait)
	listed := NewListed(pages, func(e logbook.Entry) uuid.UUID { return e.ID }, func(e logbook.Entry) *uuid.UUID {
		if e.Review == nil {
			return nil
		}
		return &e.Review.ReviewerID
	})
	first := func(ctx context.Context, contracts []uuid.UUID, f LogEntryFilter, limit int) (map[uuid.UUID][]logbook.Entry, error) {
		return s.FirstEntriesOf(ctx, contracts, f.Filter(), limit)
	}
	count := func(ctx context.Context, contracts []uuid.UUID, f LogEntryFilter) (map[uuid.UUID]int, error) {
		return s.CountEntriesOf(ctx, contracts, f.Filter())
	}
	progress := func(ctx context.Context, ids []uuid.UUID) ([][]logbook.CompetencyProgress, []error) {
		out, errs := byKey(s.ProgressOf)(ctx, ids)
		rememberEach(pages, out, func(p logbook.CompetencyProgress) *uuid.UUID { return &p.CompetencyID })
		return out, errs
	}
	return LogBook{
		ListedEntries:          listed,
		ContractLogEntries:     NewChildPages(listed, first, logbook.Cursor),
		ContractLogEntryCounts: NewChildCounts(count),
		LogEntryCompetencies:   dataloadgen.NewLoader(byKey(s.CompetenciesOf), opt),
		LogAttachments:         dataloadgen.NewLoader(byKey(s.AttachmentsOf), opt),
		CompetencyProgress:     dataloadgen.NewLoader(progress, opt),
		ProgressCompetencies:   dataloadgen.NewLoader(o.GetCompetencies, opt),
		HoursSummaries:         dataloadgen.NewLoader(hoursSummaries(s), opt),
	}
}

// LogEntryFilter is logbook.Filter as a comparable value (zero values do
// not filter), so a list of contracts asking for their entries under one
// filter shares a query.
type LogEntryFilter struct {
	Status       logbook.Status
	From, To     time.Time
	UpdatedSince time.Time
}

// LogEntryFilterOf returns the key of f. Instants are held in UTC, so two
// equal instants written with different offsets are one key.
func LogEntryFilterOf(f logbook.Filter) LogEntryFilter {
	var k LogEntryFilter
	if f.Status != nil {
		k.Status = *f.Status
	}
	if f.From != nil {
		k.From = f.From.UTC()
	}
	if f.To != nil {
		k.To = f.To.UTC()
	}
	if f.UpdatedSince != nil {
		k.UpdatedSince = f.UpdatedSince.UTC()
	}
	return k
}

// Filter returns the logbook.Filter of k.
func (k LogEntryFilter) Filter() logbook.Filter {
	var f logbook.Filter
	if k.Status != "" {
		f.Status = &k.Status
	}
	f.From, f.To, f.UpdatedSince = nonZero(k.From), nonZero(k.To), nonZero(k.UpdatedSince)
	return f
}

func nonZero(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// HoursKey asks for a contract's hours per week over a period.
type HoursKey struct {
	Contract uuid.UUID
	From, To time.Time
}

// hoursSummaries loads HoursKeys with one query per period; a contract the
// caller is outside of is NOT_FOUND.
func hoursSummaries(s *logbook.Service) func(context.Context, []HoursKey) ([][]logbook.WeekHours, []error) {
	return func(ctx context.Context, keys []HoursKey) ([][]logbook.WeekHours, []error) {
		out := make([][]logbook.WeekHours, len(keys))
		errs := make([]error, len(keys))
		failed := false
		for period, idx := range groupKeys(keys, func(k HoursKey) HoursKey { return HoursKey{From: k.From, To: k.To} }) {
			ids := make([]uuid.UUID, len(idx))
			for j, i := range idx {
				ids[j] = keys[i].Contract
			}
			found, err := s.HoursOf(ctx, ids, period.From, period.To)
			for _, i := range idx {
				weeks, ok := found[keys[i].Contract]
				switch {
				case err != nil:
					errs[i] = err
				case !ok:
					errs[i] = apperr.NotFoundf("contract")
				default:
					out[i] = weeks
					continue
				}
				failed = true
			}
		}
		if !failed {
			return out, nil
		}
		return out, errs
	}
}

// byKey adapts an area's batch method returning values by key to
// dataloadgen's shape (values in key order; a key without a value gets the
// zero value: no children).
func byKey[V any](fetch func(context.Context, []uuid.UUID) (map[uuid.UUID]V, error)) func(context.Context, []uuid.UUID) ([]V, []error) {
	return func(ctx context.Context, keys []uuid.UUID) ([]V, []error) {
		found, err := fetch(ctx, keys)
		if err != nil {
			return nil, []error{err}
		}
		out := make([]V, len(keys))
		for i, k := range keys {
			out[i] = found[k]
		}
		return out, nil
	}
}
