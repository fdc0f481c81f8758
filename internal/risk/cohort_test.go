package risk_test

import (
	"context"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/google/uuid"

	"jalon/internal/clock"
	"jalon/internal/risk"
	"jalon/internal/seed"
	"jalon/internal/testapp"
)

// storedRisk reads every computed risk (the figures of a whole cohort; the
// GraphQL fields are tested above).
func storedRisks(t testing.TB, a *testapp.TestApp) map[uuid.UUID]risk.Risk {
	t.Helper()
	rows, err := a.Pool.Query(context.Background(), `SELECT contract_id, level, score, reasons FROM contract_risks`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[uuid.UUID]risk.Risk{}
	for rows.Next() {
		var r risk.Risk
		var raw []byte
		if err := rows.Scan(&r.ContractID, &r.Level, &r.Score, &raw); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &r.Reasons); err != nil {
			t.Fatal(err)
		}
		out[r.ContractID] = r
	}
	return out
}

func figure(r risk.Reason, name string) float64 {
	for _, e := range r.Evidence {
		if e.Name == name {
			return e.Value
		}
	}
	return math.NaN()
}

func workingDaysAfter(a, b time.Time) int {
	n := 0
	for d := a.AddDate(0, 0, 1); !d.After(b); d = d.AddDate(0, 0, 1) {
		if d.Weekday() != time.Saturday && d.Weekday() != time.Sunday {
			n++
		}
	}
	return n
}

// On a generated cohort of 2,000 contracts over a school year, HIGH holds at
// least 90 % of the troubled personas and under 5 % of the steady ones, and
// every reason's evidence matches the generated data.
//
//	go test ./internal/risk/ -run TestCohort -v
func TestCohort(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	cohort, err := seed.Cohort(context.Background(), a.Pool, 2000, a.Clock.Now(), 2026)
	if err != nil {
		t.Fatal(err)
	}
	compute(t, a)
	risks := storedRisks(t, a)
	today := clock.Today(a.Clock.Now())
	days := func(d time.Time) float64 { return math.Round(today.Sub(d).Hours() / 24) }
	type tally struct{ n, high, watch int }
	per := map[seed.Persona]*tally{}
	var troubled, troubledHigh, steady, steadyHigh int
	for _, c := range cohort {
		r, ok := risks[c.ID]
		if !ok {
			t.Fatalf("%s: no risk", c.ID)
		}
		tl := per[c.Persona]
		if tl == nil {
			tl = &tally{}
			per[c.Persona] = tl
		}
		tl.n++
		switch r.Level {
		case risk.High:
			tl.high++
		case risk.Watch:
			tl.watch++
		}
		if c.Persona.Troubled() {
			troubled++
			if r.Level == risk.High {
				troubledHigh++
			}
		} else {
			steady++
			if r.Level == risk.High {
				steadyHigh++
			}
		}
		// Every reason's evidence, against what the generator wrote.
		gap := workingDaysAfter(c.LastEntryOn, today.AddDate(0, 0, -1))
		seenReason := false
		for _, rs := range r.Reasons {
			bad := false
			switch rs.Kind {
			case risk.LogGap:
				bad = figure(rs, "workingDays") != float64(gap) || figure(rs, "daysSinceLastEntry") != days(c.LastEntryOn)
			case risk.ReviewStalled:
				bad = c.OldestPendingOn.IsZero() || figure(rs, "days") != days(c.OldestPendingOn)
			case risk.EvaluationOverdue:
				bad = c.EvaluationDueOn.IsZero() || figure(rs, "daysOverdue") != days(c.EvaluationDueOn)
			case risk.FallingScore, risk.LowScore:
				bad = len(c.Means) != 2 || figure(rs, "mean") != math.Round(c.Means[1]*100)/100
				if rs.Kind == risk.FallingScore && !bad {
					bad = figure(rs, "previousMean") != math.Round(c.Means[0]*100)/100
				}
			case risk.VisitMissed:
				bad = figure(rs, "missedVisits") != float64(c.MissedVisits)
			case risk.NotSeen:
				seenReason = true
				bad = figure(rs, "days") != days(c.LastSeenOn)
			}
			if bad {
				t.Fatalf("%s %s: reason %+v does not match the generated data %+v", c.Persona, c.ID, rs, c)
			}
		}
		// And the reasons that must be there are.
		if (gap >= 5) != hasReason(r, risk.LogGap) {
			t.Fatalf("%s: gap of %d working days, reasons %+v", c.Persona, gap, r.Reasons)
		}
		if (days(c.LastSeenOn) >= 14) != seenReason {
			t.Fatalf("%s: last seen %s, reasons %+v", c.Persona, c.LastSeenOn, r.Reasons)
		}
	}
	for p, tl := range per {
		t.Logf("%-15s %4d contracts: HIGH %5.1f %%, WATCH %5.1f %%", p, tl.n, 100*float64(tl.high)/float64(tl.n), 100*float64(tl.watch)/float64(tl.n))
	}
	recall := float64(troubledHigh) / float64(troubled)
	falseHigh := float64(steadyHigh) / float64(steady)
	t.Logf("HIGH holds %.1f %% of %d troubled contracts and %.1f %% of %d steady ones", 100*recall, troubled, 100*falseHigh, steady)
	if recall < 0.90 || falseHigh >= 0.05 {
		t.Fatalf("HIGH holds %.1f %% of the troubled (want ≥ 90 %%) and %.1f %% of the steady (want < 5 %%)", 100*recall, 100*falseHigh)
	}
}

func hasReason(r risk.Risk, k risk.Kind) bool {
	for _, rs := range r.Reasons {
		if rs.Kind == k {
			return true
		}
	}
	return false
}

// BenchmarkComputeAll10000 computes the risk of 10,000 active contracts
// (a generated cohort: about 1.6 million log entries, visits, evaluations,
// sessions): one read, one write, one snapshot statement.
//
//	go test ./internal/risk/ -run '^$' -bench ComputeAll10000 -benchtime 5x
func BenchmarkComputeAll10000(b *testing.B) {
	a := testapp.New(b)
	start := time.Now()
	if _, err := seed.Cohort(context.Background(), a.Pool, 10000, a.Clock.Now(), 2026); err != nil {
		b.Fatal(err)
	}
	if _, err := a.Pool.Exec(context.Background(), `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated 10,000 contracts in %s", time.Since(start).Round(time.Millisecond))
	b.ResetTimer()
	for b.Loop() {
		res, err := a.App.Risk.ComputeAll(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if res.Contracts != 10000 {
			b.Fatalf("computed %d contracts", res.Contracts)
		}
	}
}
