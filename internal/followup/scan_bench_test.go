package followup_test

import (
	"context"
	"testing"
	"time"

	"jalon/internal/followup"
	"jalon/internal/testapp"
)

// BenchmarkScan10000Contracts scans 10,000 active contracts with data for
// every rule (seedRuleData): end dates spread over two years, four weeks of
// log entries (some contracts missing last week, some entries waiting for
// review 8 or 15 days), 30,000 evaluations (due, overdue, awaiting a
// signature), one or two visits per contract (due for a visit, or one
// planned tomorrow). The first scan opens the follow-ups and notifies their
// owners; the benchmark loop measures the steady-state scan (nothing new:
// every rule still runs its open and close statements over all contracts).
//
//	go test ./internal/followup/ -run '^$' -bench Scan10000 -benchtime 5x
func BenchmarkScan10000Contracts(b *testing.B) {
	a := testapp.New(b)
	const contracts = 10000
	start := time.Now()
	seedContracts(b, a, contracts)
	seedRuleData(b, a, contracts)
	b.Logf("seeded %d contracts and their data in %s", contracts, time.Since(start).Round(time.Millisecond))

	start = time.Now()
	res, err := a.App.FollowUps.Scan(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	first := time.Since(start)
	if res.Opened == 0 {
		b.Fatal("the first scan opened nothing")
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := a.App.FollowUps.Scan(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if res.Opened != 0 {
			b.Fatalf("steady scan opened %d", res.Opened)
		}
	}
	b.StopTimer()
	// What each rule opened, and what its steady-state scan costs.
	for _, r := range followup.Rules {
		var n int
		if err := a.Pool.QueryRow(context.Background(), `SELECT count(*) FROM follow_ups WHERE kind = $1`, string(r.Kind)).Scan(&n); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := a.App.FollowUps.Scan(context.Background(), r.Kind); err != nil {
			b.Fatal(err)
		}
		b.Logf("%-20s %5d open, steady scan %s", r.Kind, n, time.Since(start).Round(time.Millisecond))
	}
	b.ReportMetric(float64(first.Microseconds())/1000, "first-scan-ms")
	b.ReportMetric(float64(res.Opened), "opened")
}

// seedContracts inserts n active contracts (100 companies and tutors, 50
// advisers) set-based.
func seedContracts(b *testing.B, a *testapp.TestApp, n int) {
	b.Helper()
	a.Exec(b, `INSERT INTO training_centres (id, name) VALUES ('00000000-0000-4000-8000-0000000000c1', 'Centre')`)
	a.Exec(b, `INSERT INTO trades (id, code, name) VALUES ('00000000-0000-4000-8000-0000000000d1', 'BENCH', 'Bench')`)
	a.Exec(b, `INSERT INTO companies (id, name, enterprise_number)
		SELECT ('00000000-0000-4000-8001-' || lpad(i::text, 12, '0'))::uuid, 'Company ' || i, lpad(i::text, 10, '0')
		FROM generate_series(1, 100) i`)
	a.Exec(b, `INSERT INTO users (id, email, first_name, last_name, role, company_id)
		SELECT ('00000000-0000-4000-8002-' || lpad(i::text, 12, '0'))::uuid, 'tutor' || i || '@bench.test', 'Tutor', i::text, 'TUTOR',
		       ('00000000-0000-4000-8001-' || lpad(i::text, 12, '0'))::uuid
		FROM generate_series(1, 100) i`)
	a.Exec(b, `INSERT INTO users (id, email, first_name, last_name, role)
		SELECT ('00000000-0000-4000-8003-' || lpad(i::text, 12, '0'))::uuid, 'adviser' || i || '@bench.test', 'Adviser', i::text, 'ADVISER'
		FROM generate_series(1, 50) i`)
	a.Exec(b, `INSERT INTO users (id, email, first_name, last_name, role, locale)
		SELECT ('00000000-0000-4000-8004-' || lpad(i::text, 12, '0'))::uuid, 'apprentice' || i || '@bench.test', 'Apprentice', i::text, 'APPRENTICE',
		       (ARRAY['FR','NL','DE','EN'])[1 + i % 4]
		FROM generate_series(1, $1::int) i`, n)
	a.Exec(b, `INSERT INTO contracts (apprentice_id, company_id, tutor_id, adviser_id, centre_id, trade_id, start_date, end_date, weekly_hours)
		SELECT ('00000000-0000-4000-8004-' || lpad(i::text, 12, '0'))::uuid,
		       ('00000000-0000-4000-8001-' || lpad((1 + i % 100)::text, 12, '0'))::uuid,
		       ('00000000-0000-4000-8002-' || lpad((1 + i % 100)::text, 12, '0'))::uuid,
		       ('00000000-0000-4000-8003-' || lpad((1 + i % 50)::text, 12, '0'))::uuid,
		       '00000000-0000-4000-8000-0000000000c1', '00000000-0000-4000-8000-0000000000d1',
		       $2::date - 365, $2::date + (i % 730), 28
		FROM generate_series(1, $1::int) i`, n, today)
}

// seedRuleData gives the n contracts of seedContracts data for every rule,
// set-based. Contract i has adviser 1 + i % 50; j = i / 50 numbers the
// contracts of one adviser, so their visits never overlap.
func seedRuleData(b *testing.B, a *testapp.TestApp, n int) {
	b.Helper()
	now := a.Clock.Now()
	// Log book: every weekday of the last four weeks, validated, except that
	// one contract in five has nothing last week (LOG_MISSING); one in ten
	// has an entry submitted 8 days ago (LOG_REVIEW_PENDING, tutor) and one
	// in twenty one submitted 15 days ago (escalated to the adviser).
	a.Exec(b, `INSERT INTO log_entries (client_id, contract_id, entry_date, hours, activities, status, submitted_at,
			reviewer_id, review_decision, reviewed_at, created_at, updated_at)
		SELECT gen_random_uuid(), c.id, d::date, 8, 'Travail en atelier',
		       CASE WHEN s.late IS NULL THEN 'VALIDATED' ELSE 'SUBMITTED' END,
		       coalesce(s.late, d + interval '18 hours'),
		       CASE WHEN s.late IS NULL THEN c.tutor_id END, CASE WHEN s.late IS NULL THEN 'VALIDATE' END,
		       CASE WHEN s.late IS NULL THEN d + interval '1 day' END, d, d
		FROM (SELECT c.*, row_number() OVER (ORDER BY c.apprentice_id) AS i FROM contracts c) c
		CROSS JOIN generate_series($1::date - 28, $1::date - 1, interval '1 day') d
		CROSS JOIN LATERAL (SELECT CASE
		        WHEN d::date = $1::date - 22 AND c.i % 20 = 0 THEN $2::timestamptz - interval '15 days'
		        WHEN d::date = $1::date - 15 AND c.i % 10 = 0 THEN $2::timestamptz - interval '8 days' END AS late) s
		WHERE extract(isodow FROM d) < 6
		  AND NOT (c.i % 5 = 0 AND d::date BETWEEN date_trunc('week', $1::date)::date - 7 AND date_trunc('week', $1::date)::date - 3)`,
		today, now)

	// Evaluations: one template, three slots per contract. The M3 of
	// contract i is due today + (i % 120) - 60 days: signed when more than
	// 20 days past, awaiting the apprentice (tutor signed 4 to 10 days ago)
	// or the adviser when 5 to 20 days past, else in progress (due within 7
	// days, or overdue). M6 and END are in the future.
	a.Exec(b, `INSERT INTO evaluation_templates (id, trade_id, title, scale_min, scale_max, months_after_start, days_before_end)
		VALUES ('00000000-0000-4000-8000-0000000000e1', '00000000-0000-4000-8000-0000000000d1', 'Évaluation', 1, 4, '{3,6}', 30)`)
	a.Exec(b, `INSERT INTO evaluations (contract_id, template_id, slot, title, due_date, status)
		SELECT c.id, '00000000-0000-4000-8000-0000000000e1', s.slot, 'Évaluation ' || s.slot, s.due,
		       CASE WHEN s.slot <> 'M3' OR s.past < 0 THEN 'SCHEDULED'
		            WHEN s.past > 20 THEN 'SIGNED'
		            WHEN s.past >= 5 THEN (CASE WHEN c.i % 2 = 0 THEN 'AWAITING_APPRENTICE' ELSE 'AWAITING_ADVISER' END)
		            ELSE 'IN_PROGRESS' END
		FROM (SELECT c.*, row_number() OVER (ORDER BY c.apprentice_id) AS i FROM contracts c) c
		CROSS JOIN LATERAL (VALUES ('M3', $1::date + (c.i % 120)::int - 60, 60 - (c.i % 120)::int),
		                           ('M6', $1::date + (c.i % 120)::int + 30, -1),
		                           ('END', c.end_date - 30, -1)) s(slot, due, past)`, today)
	a.Exec(b, `INSERT INTO evaluation_signatures (evaluation_id, role, signer_id, signed_at, content_hash)
		SELECT e.id, r.role, CASE r.role WHEN 'TUTOR' THEN c.tutor_id WHEN 'APPRENTICE' THEN c.apprentice_id ELSE c.adviser_id END,
		       $1::timestamptz - (r.ago || ' days')::interval, encode(sha256(e.id::text::bytea), 'hex')
		FROM evaluations e JOIN contracts c ON c.id = e.contract_id
		CROSS JOIN LATERAL (VALUES ('TUTOR', (e.due_date - $2::date + 60) % 7 + 4), ('APPRENTICE', 2), ('ADVISER', 1)) r(role, ago)
		WHERE (e.status = 'AWAITING_APPRENTICE' AND r.role = 'TUTOR')
		   OR (e.status = 'AWAITING_ADVISER' AND r.role IN ('TUTOR', 'APPRENTICE'))
		   OR (e.status = 'SIGNED')`, now, today)

	// Visits: every contract but one in ten had a DONE visit 70 to 95 days
	// ago (those past 83 days are in the planning queue); one in ten has a
	// visit planned in the next 25 days (a few tomorrow).
	a.Exec(b, `INSERT INTO visits (contract_id, adviser_id, starts_at, ends_at, place, purpose, status, report_summary, report_outcome, completed_at)
		SELECT c.id, c.adviser_id, t.at, t.at + interval '1 hour', 'Atelier', 'Visite', 'DONE', 'Bien', 'ON_TRACK', t.at + interval '1 hour'
		FROM (SELECT c.*, row_number() OVER (ORDER BY c.apprentice_id) AS i FROM contracts c) c
		CROSS JOIN LATERAL (SELECT $1::timestamptz - interval '70 days' - ((c.i / 50) * interval '3 hours') AS at) t
		WHERE c.i % 10 <> 0`, now)
	a.Exec(b, `INSERT INTO visits (contract_id, adviser_id, starts_at, ends_at, place, purpose, status)
		SELECT c.id, c.adviser_id, t.at, t.at + interval '1 hour', 'Atelier', 'Visite', 'PROPOSED'
		FROM (SELECT c.*, row_number() OVER (ORDER BY c.apprentice_id) AS i FROM contracts c) c
		CROSS JOIN LATERAL (SELECT $1::timestamptz + interval '2 hours' + ((c.i / 50) * interval '3 hours') AS at) t
		WHERE c.i % 10 = 3`, now)
	a.Exec(b, `ANALYZE`)
}
