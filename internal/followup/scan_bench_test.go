package followup_test

import (
	"context"
	"testing"
	"time"

	"jalon/internal/followup"
	"jalon/internal/testapp"
)

// BenchmarkScan10000Contracts scans 10,000 active contracts whose end dates
// spread over two years (about 420 of them end within 30 days). The first
// scan opens those follow-ups and notifies their advisers; the benchmark
// loop measures the steady-state scan (nothing new: every rule still runs
// its open and close statements over all contracts).
//
//	go test ./internal/followup/ -run '^$' -bench Scan10000 -benchtime 5x
func BenchmarkScan10000Contracts(b *testing.B) {
	a := testapp.New(b)
	const contracts = 10000
	start := time.Now()
	seedContracts(b, a, contracts)
	b.Logf("seeded %d contracts in %s", contracts, time.Since(start).Round(time.Millisecond))

	start = time.Now()
	res, err := followup.Scan(context.Background(), a.Pool, a.App.Notify, a.Clock.Now())
	if err != nil {
		b.Fatal(err)
	}
	first := time.Since(start)
	if res.Opened == 0 {
		b.Fatal("the first scan opened nothing")
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := followup.Scan(context.Background(), a.Pool, a.App.Notify, a.Clock.Now())
		if err != nil {
			b.Fatal(err)
		}
		if res.Opened != 0 {
			b.Fatalf("steady scan opened %d", res.Opened)
		}
	}
	b.StopTimer()
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
	a.Exec(b, `ANALYZE`)
}
