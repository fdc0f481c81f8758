package reviewlink

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"jalon/internal/clock"
	"jalon/internal/evaluations"
	"jalon/internal/logbook"
	"jalon/internal/orgs"
	"jalon/internal/page"
)

// Page is what the review page shows a valid link's tutor.
type Page struct {
	Link Link
	// Apprentices with entries waiting for review, by name; their entries
	// oldest first.
	Apprentices []Apprentice
	// MoreEntries counts the waiting entries beyond the MaxEntries shown.
	MoreEntries int
	// Evaluations waiting for the tutor's signature, by due date.
	Evaluations []Evaluation
}

// Apprentice is one apprentice's waiting entries.
type Apprentice struct {
	Name       string
	ContractID uuid.UUID
	Entries    []Entry
}

// Entry is a log entry waiting for review with what the page shows of it.
type Entry struct {
	logbook.Entry
	Competencies []orgs.Competency
	// Files are the entry's attachments, each with a signed URL relative to
	// the server (images are shown, other files linked).
	Files []File
}

// File is an attachment with a signed, expiring URL.
type File struct {
	URL         string
	ContentType string
}

// IsImage reports whether the file can be shown in an <img>.
func (f File) IsImage() bool {
	return strings.HasPrefix(f.ContentType, "image/") && f.ContentType != logbook.HEIC
}

// Evaluation is an evaluation waiting for the tutor's signature.
type Evaluation struct {
	evaluations.Evaluation
	Apprentice string
	Template   evaluations.Template
	Criteria   []evaluations.Criterion
	// Scored: every criterion has a score (completed in the app or
	// earlier): the page offers to sign it as it is. Otherwise it offers
	// to score and sign.
	Scored bool
}

// MaxEntries is how many waiting entries one page shows (and "validate
// all" validates at most: the batch limit of reviewLogEntries).
const MaxEntries = logbook.MaxBatchReview

// DueSoon is how far ahead a scheduled evaluation shows on the page (the
// window of the EVALUATION_DUE follow-up); evaluations in progress and
// overdue ones always show.
const DueSoon = 7 * 24 * time.Hour

// Page returns what the page of a valid link shows, read as its tutor
// through the services GraphQL reads through (the same visibility).
func (s *Service) Page(ctx context.Context, l Link) (Page, error) {
	ctx = actingAs(ctx, l)
	out := Page{Link: l}
	submitted := logbook.Submitted
	f := logbook.Filter{Status: &submitted}
	listing, err := s.Logbook.List(ctx, nil, f, page.Args{First: MaxEntries}, logbook.Want{Count: true})
	if err != nil {
		return Page{}, err
	}
	entries := listing.Page
	if entries.HasNextPage {
		out.MoreEntries = listing.Total - len(entries.Items)
	}
	evs, err := s.waitingEvaluations(ctx)
	if err != nil {
		return Page{}, err
	}
	names, err := s.apprenticeNames(ctx, entries.Items, evs)
	if err != nil {
		return Page{}, err
	}
	if out.Apprentices, err = s.group(ctx, entries.Items, names); err != nil {
		return Page{}, err
	}
	if out.Evaluations, err = s.evaluationsToSign(ctx, evs, names); err != nil {
		return Page{}, err
	}
	return out, nil
}

// waitingEvaluations are the tutor's evaluations in progress, and those
// scheduled and due within DueSoon (or overdue), by due date.
func (s *Service) waitingEvaluations(ctx context.Context) ([]evaluations.Evaluation, error) {
	var out []evaluations.Evaluation
	horizon := clock.Today(s.Clock.Now()).Add(DueSoon)
	for _, st := range []evaluations.Status{evaluations.InProgress, evaluations.Scheduled} {
		found, err := s.Evaluations.List(ctx, evaluations.Filter{Status: &st}, page.Args{First: page.Max})
		if err != nil {
			return nil, err
		}
		for _, e := range found.Items {
			if st == evaluations.InProgress || !e.DueDate.After(horizon) {
				out = append(out, e)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b evaluations.Evaluation) int {
		return cmp.Or(a.DueDate.Compare(b.DueDate), strings.Compare(a.ID.String(), b.ID.String()))
	})
	return out, nil
}

// apprenticeNames maps each contract of the entries and evaluations to its
// apprentice's name.
func (s *Service) apprenticeNames(ctx context.Context, es []logbook.Entry, evs []evaluations.Evaluation) (map[uuid.UUID]string, error) {
	var ids []uuid.UUID
	for _, e := range es {
		ids = append(ids, e.ContractID)
	}
	for _, e := range evs {
		ids = append(ids, e.ContractID)
	}
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	cs, errs := s.Contracts.GetMany(ctx, ids)
	if err := firstErr(errs); err != nil {
		return nil, err
	}
	people := make([]uuid.UUID, len(cs))
	for i, c := range cs {
		people[i] = c.ApprenticeID
	}
	us, errs := s.Users.GetMany(ctx, people)
	if err := firstErr(errs); err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]string, len(cs))
	for i, c := range cs {
		out[c.ID] = us[i].FullName()
	}
	return out, nil
}

func firstErr(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// group puts the entries under their apprentices, with their competencies
// and files.
func (s *Service) group(ctx context.Context, es []logbook.Entry, names map[uuid.UUID]string) ([]Apprentice, error) {
	if len(es) == 0 {
		return nil, nil
	}
	ids := make([]uuid.UUID, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	comps, err := s.Logbook.CompetenciesOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	files, err := s.Logbook.AttachmentsOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	byContract := map[uuid.UUID]*Apprentice{}
	var out []*Apprentice
	for _, e := range es {
		a := byContract[e.ContractID]
		if a == nil {
			a = &Apprentice{Name: names[e.ContractID], ContractID: e.ContractID}
			byContract[e.ContractID] = a
			out = append(out, a)
		}
		entry := Entry{Entry: e, Competencies: comps[e.ID]}
		for _, f := range files[e.ID] {
			entry.Files = append(entry.Files, File{URL: relative(s.Logbook.FileURL(f.ID)), ContentType: f.ContentType})
		}
		a.Entries = append(a.Entries, entry)
	}
	result := make([]Apprentice, len(out))
	for i, a := range out {
		slices.SortFunc(a.Entries, func(x, y Entry) int {
			return cmp.Or(x.Date.Compare(y.Date), strings.Compare(x.ID.String(), y.ID.String()))
		})
		result[i] = *a
	}
	slices.SortStableFunc(result, func(x, y Apprentice) int {
		return cmp.Or(strings.Compare(x.Name, y.Name), strings.Compare(x.ContractID.String(), y.ContractID.String()))
	})
	return result, nil
}

// relative turns an absolute signed URL into its path and query: the page
// loads files from the server that serves it, whatever JALON_PUBLIC_URL
// says (a content security policy of img-src 'self').
func relative(u string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return u
	}
	return parsed.RequestURI()
}

// evaluationsToSign adds each evaluation's criteria and template.
func (s *Service) evaluationsToSign(ctx context.Context, evs []evaluations.Evaluation, names map[uuid.UUID]string) ([]Evaluation, error) {
	if len(evs) == 0 {
		return nil, nil
	}
	ids := make([]uuid.UUID, len(evs))
	var templateIDs []uuid.UUID
	for i, e := range evs {
		ids[i] = e.ID
		if !slices.Contains(templateIDs, e.TemplateID) {
			templateIDs = append(templateIDs, e.TemplateID)
		}
	}
	criteria, errs := s.Evaluations.CriteriaOf(ctx, ids)
	if err := firstErr(errs); err != nil {
		return nil, err
	}
	ts, errs := s.Evaluations.GetTemplates(ctx, templateIDs)
	if err := firstErr(errs); err != nil {
		return nil, err
	}
	templates := make(map[uuid.UUID]evaluations.Template, len(ts))
	for _, t := range ts {
		templates[t.ID] = t
	}
	out := make([]Evaluation, len(evs))
	for i, e := range evs {
		scored := e.Status == evaluations.InProgress && len(criteria[i]) > 0
		for _, c := range criteria[i] {
			if c.Score == nil {
				scored = false
			}
		}
		t, ok := templates[e.TemplateID]
		if !ok {
			return nil, fmt.Errorf("evaluation %s: template %s not loaded", e.ID, e.TemplateID)
		}
		out[i] = Evaluation{Evaluation: e, Apprentice: names[e.ContractID], Template: t, Criteria: criteria[i], Scored: scored}
	}
	return out, nil
}
