package seed

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"jalon/internal/clock"
	"jalon/internal/notify"
	"jalon/internal/postgres"
	"jalon/internal/risk"
	"jalon/internal/service"
)

// Persona is how a generated apprenticeship behaves over the school year.
type Persona string

const (
	// Steady: logs every working day (now and then a day or a holiday week
	// off), reviewed within days, visited, seen in the app.
	Steady Persona = "STEADY"
	// FadingLogger: logs less and less, then stops (6 to 25 working days
	// before today); stops opening the app.
	FadingLogger Persona = "FADING_LOGGER"
	// SilentTutor: the tutor stops reviewing (entries waiting 21 to 45
	// days) and lets the evaluation go overdue.
	SilentTutor Persona = "SILENT_TUTOR"
	// FallingScores: the latest evaluation is well below the previous one,
	// and the visit that followed said NEEDS_ATTENTION.
	FallingScores Persona = "FALLING_SCORES"
	// MissedVisits: the company missed two visits in the last two months;
	// the last visit done is months old.
	MissedVisits Persona = "MISSED_VISITS"
)

// Troubled reports whether p is a persona an adviser should look at.
func (p Persona) Troubled() bool { return p != Steady }

// CohortContract is one generated contract and the facts the generator put
// in its data (what a risk's evidence must match).
type CohortContract struct {
	ID      uuid.UUID
	Persona Persona
	// LastEntryOn: the latest log entry's date.
	LastEntryOn time.Time
	// OldestPendingOn: the submission date of the oldest entry waiting for
	// review (zero: none).
	OldestPendingOn time.Time
	// EvaluationDueOn: an overdue, unsigned evaluation's due date (zero: none).
	EvaluationDueOn time.Time
	// Means of the two tutor-signed evaluations, older first (nil: none).
	Means []float64
	// MissedVisits in the last 90 days; LastSeenOn the apprentice's last
	// session.
	MissedVisits int
	LastSeenOn   time.Time
}

// Cohort generates n ACTIVE contracts with one adviser for every 50, over
// the school year up to now (started on 1 September, or a year before now
// when later), with the personas' data: 60 % steady, 10 % each troubled
// persona, in a random order drawn from seed. Rows are written with COPY.
// It returns the contracts and their generated facts.
func Cohort(ctx context.Context, pool *pgxpool.Pool, n int, now time.Time, seed uint64) ([]CohortContract, error) {
	rng := rand.New(rand.NewPCG(seed, 0x6a616c6f6e))
	today := clock.Today(now)
	start := time.Date(today.Year(), 9, 1, 0, 0, 0, 0, time.UTC)
	if !start.Before(today) {
		start = start.AddDate(-1, 0, 0)
	}
	tag := uuid.New().String()[:8]
	g := &generator{rng: rng, now: now, today: today, start: start}
	var out []CohortContract
	err := postgres.InTx(ctx, pool, func(tx pgx.Tx) error {
		g.reset()
		out = out[:0]
		centre, trade, template := uuid.New(), uuid.New(), uuid.New()
		crits := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO training_centres (id, name, city) VALUES ($1, 'Centre cohorte', 'Namur')`, []any{centre}},
			{`INSERT INTO trades (id, code, name) VALUES ($1, $2, 'Métier cohorte')`, []any{trade, "COH-" + tag}},
			{`INSERT INTO evaluation_templates (id, trade_id, title, scale_min, scale_max) VALUES ($1, $2, 'Évaluation', 1, 4)`, []any{template, trade}},
		} {
			if _, err := tx.Exec(ctx, q.sql, q.args...); err != nil {
				return fmt.Errorf("cohort: %w", err)
			}
		}
		personas := make([]Persona, n)
		for i := range personas {
			switch {
			case i%10 < 6:
				personas[i] = Steady
			case i%10 == 6:
				personas[i] = FadingLogger
			case i%10 == 7:
				personas[i] = SilentTutor
			case i%10 == 8:
				personas[i] = FallingScores
			default:
				personas[i] = MissedVisits
			}
		}
		rng.Shuffle(n, func(i, j int) { personas[i], personas[j] = personas[j], personas[i] })
		var adviser uuid.UUID
		for i, p := range personas {
			if i%50 == 0 {
				adviser = g.user("ADVISER", tag, nil)
			}
			company := uuid.New()
			g.companies = append(g.companies, []any{company, fmt.Sprintf("Entreprise %d", i), fmt.Sprintf("%010d", rng.Int64N(1e10))})
			c := CohortContract{ID: uuid.New(), Persona: p}
			tutor := g.user("TUTOR", tag, &company)
			apprentice := g.user("APPRENTICE", tag, nil)
			g.contracts = append(g.contracts, []any{c.ID, apprentice, company, tutor, adviser, centre, trade, start, start.AddDate(2, 0, 0), 40})
			g.persona(&c, tutor, apprentice, adviser, template, crits)
			out = append(out, c)
			if (i+1)%500 == 0 { // bounded memory: write every 500 contracts
				if err := g.copy(ctx, tx); err != nil {
					return err
				}
			}
		}
		if err := g.copy(ctx, tx); err != nil {
			return err
		}
		// The generated rows are history, not changes to refresh.
		_, err := tx.Exec(ctx, `TRUNCATE risk_dirty`)
		return err
	})
	return out, err
}

type generator struct {
	rng                  *rand.Rand
	now, today, start    time.Time
	users, companies     [][]any
	contracts, entries   [][]any
	visits, evaluations  [][]any
	criteria, signatures [][]any
	sessions             [][]any
	taken                map[visitKey]bool
}

type visitKey struct {
	adviser uuid.UUID
	at      time.Time
}

func (g *generator) reset() {
	g.users, g.companies, g.contracts, g.entries = nil, nil, nil, nil
	g.visits, g.evaluations, g.criteria, g.signatures, g.sessions = nil, nil, nil, nil, nil
	g.taken = map[visitKey]bool{}
}

func (g *generator) user(role, tag string, company *uuid.UUID) uuid.UUID {
	id := uuid.New()
	g.users = append(g.users, []any{id, fmt.Sprintf("%s-%s-%s@cohort.test", role, tag, id.String()[:13]), "Prénom", "Nom " + id.String()[:6], role, company})
	return id
}

func weekday(d time.Time) bool { return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday }

// logUntil writes an entry of hours every working day from the start to
// last (skipping the days skip says), VALIDATED and reviewed the next day;
// it returns the last date written.
func (g *generator) logUntil(c uuid.UUID, tutor uuid.UUID, last time.Time, hours func(time.Time) float64, skip func(time.Time) bool) time.Time {
	var written time.Time
	for d := g.start; !d.After(last); d = d.AddDate(0, 0, 1) {
		if !weekday(d) || (skip != nil && skip(d)) {
			continue
		}
		at := d.Add(17 * time.Hour)
		g.entries = append(g.entries, []any{uuid.New(), uuid.New(), c, d, hours(d), "Travail en entreprise", "VALIDATED", at, tutor, "VALIDATE", at.Add(24 * time.Hour), at, at})
		written = d
	}
	return written
}

// pending writes an entry on day d SUBMITTED at the end of d, not reviewed.
func (g *generator) pending(c uuid.UUID, d time.Time) {
	at := d.Add(17 * time.Hour)
	g.entries = append(g.entries, []any{uuid.New(), uuid.New(), c, d, 8.0, "Travail en entreprise", "SUBMITTED", at, nil, nil, nil, at, at})
}

// visit writes a visit of the contract's adviser daysAgo days ago at a slot
// of its own (an adviser's visits may not overlap).
func (g *generator) visit(c, adviser uuid.UUID, daysAgo int, status string, outcome *string) {
	d := g.today.AddDate(0, 0, -daysAgo)
	starts := time.Date(d.Year(), d.Month(), d.Day(), 8, 0, 0, 0, clock.Brussels)
	for g.taken[visitKey{adviser, starts}] {
		starts = starts.Add(15 * time.Minute)
	}
	g.taken[visitKey{adviser, starts}] = true
	var summary *string
	if status == "DONE" {
		s := "Visite"
		summary = &s
	}
	g.visits = append(g.visits, []any{uuid.New(), c, adviser, starts, starts.Add(10 * time.Minute), "Atelier", "Suivi", status, summary, outcome})
}

func (g *generator) persona(c *CohortContract, tutor, apprentice, adviser, template uuid.UUID, crits []uuid.UUID) {
	rng := g.rng
	yesterday := g.today.AddDate(0, 0, -1)
	eight := func(time.Time) float64 { return 8 }
	seen := g.today.AddDate(0, 0, -rng.IntN(4))
	onTrack := "ON_TRACK"
	switch c.Persona {
	case Steady:
		// Now and then a day off; one in five had a holiday week this term.
		holiday := g.today.AddDate(0, 0, -7*(3+rng.IntN(10)))
		var skip func(time.Time) bool
		if rng.IntN(5) == 0 {
			skip = func(d time.Time) bool { return !d.Before(holiday) && d.Before(holiday.AddDate(0, 0, 7)) }
		}
		// The last working days may still be drafts/unsubmitted: the
		// latest entry is 1 to 3 working days old.
		last := yesterday
		for back := rng.IntN(3); back > 0 || !weekday(last); {
			if weekday(last) {
				back--
			}
			last = last.AddDate(0, 0, -1)
		}
		c.LastEntryOn = g.logUntil(c.ID, tutor, last, eight, skip)
		g.visit(c.ID, adviser, 20+rng.IntN(60), "DONE", &onTrack)
	case FadingLogger:
		stop := g.today.AddDate(0, 0, -(9 + rng.IntN(26)))
		fade := stop.AddDate(0, 0, -21)
		c.LastEntryOn = g.logUntil(c.ID, tutor, stop, func(d time.Time) float64 {
			if d.After(fade) {
				return 4
			}
			return 8
		}, nil)
		seen = stop.AddDate(0, 0, rng.IntN(3))
		g.visit(c.ID, adviser, 30+rng.IntN(50), "DONE", &onTrack)
	case SilentTutor:
		since := g.today.AddDate(0, 0, -(21 + rng.IntN(25)))
		c.LastEntryOn = g.logUntil(c.ID, tutor, since.AddDate(0, 0, -1), eight, nil)
		for d := since; !d.After(yesterday); d = d.AddDate(0, 0, 1) {
			if weekday(d) {
				if c.OldestPendingOn.IsZero() {
					c.OldestPendingOn = d
				}
				g.pending(c.ID, d)
				c.LastEntryOn = d
			}
		}
		due := g.today.AddDate(0, 0, -(10 + rng.IntN(20)))
		c.EvaluationDueOn = due
		g.evaluations = append(g.evaluations, []any{uuid.New(), c.ID, template, "M3", "Évaluation", due, "SCHEDULED"})
		g.visit(c.ID, adviser, 20+rng.IntN(60), "DONE", &onTrack)
	case FallingScores:
		c.LastEntryOn = g.logUntil(c.ID, tutor, yesterday, eight, nil)
		before := 3 + float64(rng.IntN(3))/3 // 3, 3.33, 3.67
		after := 1 + float64(rng.IntN(3))/3  // 1, 1.33, 1.67
		for i, mean := range []float64{before, after} {
			ev := uuid.New()
			signed := g.now.AddDate(0, 0, -(100-80*i)-rng.IntN(5))
			g.evaluations = append(g.evaluations, []any{ev, c.ID, template, fmt.Sprintf("M%d", 3+3*i), "Évaluation", clock.Today(signed), "SIGNED"})
			// Three criteria whose mean is mean (scores are whole numbers).
			total := int(mean*3 + 0.5)
			scores := []int{total / 3, total / 3, total - 2*(total/3)}
			for k, cr := range crits {
				g.criteria = append(g.criteria, []any{uuid.New(), ev, k, cr, scores[k]})
			}
			g.signatures = append(g.signatures, []any{ev, "TUTOR", tutor, signed})
			c.Means = append(c.Means, float64(total)/3)
		}
		needs := "NEEDS_ATTENTION"
		g.visit(c.ID, adviser, 2+rng.IntN(10), "DONE", &needs)
	case MissedVisits:
		c.LastEntryOn = g.logUntil(c.ID, tutor, yesterday, eight, nil)
		g.visit(c.ID, adviser, 125+rng.IntN(20), "DONE", &onTrack)
		g.visit(c.ID, adviser, 50+rng.IntN(10), "MISSED", nil)
		g.visit(c.ID, adviser, 10+rng.IntN(10), "MISSED", nil)
		c.MissedVisits = 2
	}
	c.LastSeenOn = seen
	at := time.Date(seen.Year(), seen.Month(), seen.Day(), 9, 0, 0, 0, clock.Brussels)
	g.sessions = append(g.sessions, []any{uuid.New(), uuid.New(), apprentice, uuid.New().String(), at, at.Add(time.Hour)})
}

// copy writes the rows generated so far with COPY, parents first, and
// forgets them (visit times stay taken).
func (g *generator) copy(ctx context.Context, tx pgx.Tx) error {
	tables := []struct {
		name string
		cols []string
		rows [][]any
	}{
		{"companies", []string{"id", "name", "enterprise_number"}, g.companies},
		{"users", []string{"id", "email", "first_name", "last_name", "role", "company_id"}, g.users},
		{"contracts", []string{"id", "apprentice_id", "company_id", "tutor_id", "adviser_id", "centre_id", "trade_id", "start_date", "end_date", "weekly_hours"}, g.contracts},
		{"log_entries", []string{"id", "client_id", "contract_id", "entry_date", "hours", "activities", "status", "submitted_at",
			"reviewer_id", "review_decision", "reviewed_at", "created_at", "updated_at"}, g.entries},
		{"visits", []string{"id", "contract_id", "adviser_id", "starts_at", "ends_at", "place", "purpose", "status", "report_summary", "report_outcome"}, g.visits},
		{"evaluations", []string{"id", "contract_id", "template_id", "slot", "title", "due_date", "status"}, g.evaluations},
		{"evaluation_criteria", []string{"id", "evaluation_id", "position", "label", "score"}, nil},
		{"evaluation_signatures", []string{"evaluation_id", "role", "signer_id", "signed_at", "content_hash"}, nil},
		{"sessions", []string{"id", "family_id", "user_id", "token_hash", "created_at", "expires_at"}, nil},
	}
	for _, r := range g.criteria {
		tables[6].rows = append(tables[6].rows, []any{r[0], r[1], r[2], "Critère", r[4]})
	}
	for _, r := range g.signatures {
		tables[7].rows = append(tables[7].rows, []any{r[0], r[1], r[2], r[3], "0000000000000000000000000000000000000000000000000000000000000000"})
	}
	for _, r := range g.sessions {
		tables[8].rows = append(tables[8].rows, []any{r[0], r[1], r[2], []byte(r[3].(string)), r[4], r[5]})
	}
	for _, t := range tables {
		if len(t.rows) == 0 {
			continue
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, pgx.CopyFromRows(t.rows)); err != nil {
			return fmt.Errorf("cohort %s: %w", t.name, err)
		}
	}
	taken := g.taken
	g.reset()
	g.taken = taken
	return nil
}

// CohortReport generates a cohort of n contracts (Cohort), computes their
// risk with the default policy and writes, per persona, the share that is
// HIGH and WATCH: the figures README "Risk" quotes.
func CohortReport(ctx context.Context, pool *pgxpool.Pool, n int, now time.Time, out io.Writer) error {
	cohort, err := Cohort(ctx, pool, n, now, uint64(now.UnixNano()))
	if err != nil {
		return err
	}
	ids := make([]uuid.UUID, len(cohort))
	for i, c := range cohort {
		ids[i] = c.ID
	}
	base := service.Base{DB: pool, Clock: clock.NewManual(now), Log: zerolog.Nop()}
	svc := &risk.Service{Base: base, Notify: &notify.Notifier{Base: base}, Policy: risk.DefaultPolicy()}
	if _, err := svc.Refresh(ctx, ids); err != nil {
		return err
	}
	rows, err := pool.Query(ctx, `SELECT contract_id, level FROM contract_risks WHERE contract_id = ANY($1)`, ids)
	if err != nil {
		return err
	}
	levels, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct {
		id    uuid.UUID
		level string
	}, error) {
		var v struct {
			id    uuid.UUID
			level string
		}
		err := r.Scan(&v.id, &v.level)
		return v, err
	})
	if err != nil {
		return err
	}
	level := make(map[uuid.UUID]string, len(levels))
	for _, l := range levels {
		level[l.id] = l.level
	}
	type tally struct{ n, high, watch int }
	per := map[Persona]*tally{}
	order := []Persona{Steady, FadingLogger, SilentTutor, FallingScores, MissedVisits}
	for _, p := range order {
		per[p] = &tally{}
	}
	for _, c := range cohort {
		t := per[c.Persona]
		t.n++
		switch level[c.ID] {
		case "HIGH":
			t.high++
		case "WATCH":
			t.watch++
		}
	}
	fmt.Fprintf(out, "cohort of %d contracts (risk computed at %s):\n", n, now.Format(time.DateOnly))
	for _, p := range order {
		t := per[p]
		if t.n == 0 {
			continue
		}
		fmt.Fprintf(out, "  %-15s %6d  HIGH %5.1f %%  WATCH %5.1f %%\n", p, t.n, 100*float64(t.high)/float64(t.n), 100*float64(t.watch)/float64(t.n))
	}
	return nil
}
