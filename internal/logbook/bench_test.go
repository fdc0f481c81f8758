package logbook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"jalon/internal/auth"
	"jalon/internal/postgres"
	"jalon/internal/testapp"
	"jalon/internal/testdb"
)

// loadBenchData fills the database with 200 contracts (20 tutors of 10
// apprentices each) of 300 daily entries, 2 competencies each, in a few
// set-based statements (generate_series), and returns the apprentices' and
// tutors' (id, contract) pairs.
func loadBenchData(b testing.TB, a *testapp.TestApp) (apprentices [][2]uuid.UUID, tutors []uuid.UUID) {
	b.Helper()
	trade, company, centre, adviser := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	for _, q := range []string{
		`INSERT INTO trades (id, code, name) VALUES ($1, 'BENCH', 'Menuisier')`,
		`INSERT INTO competencies (trade_id, code, title, position)
			SELECT $1, 'C' || g, 'Compétence ' || g, g FROM generate_series(1, 15) g`,
	} {
		a.Exec(b, q, trade)
	}
	a.Exec(b, `INSERT INTO companies (id, name, enterprise_number) VALUES ($1, 'Bench SRL', '0999999999')`, company)
	a.Exec(b, `INSERT INTO training_centres (id, name) VALUES ($1, 'Centre')`, centre)
	a.Exec(b, `INSERT INTO users (id, email, first_name, last_name, role) VALUES ($1, 'adviser@bench.test', 'Ada', 'Viser', 'ADVISER')`, adviser)
	a.Exec(b, `INSERT INTO users (email, first_name, last_name, role, company_id)
		SELECT 'tutor' || lpad(g::text, 3, '0') || '@bench.test', 'Tuteur', g::text, 'TUTOR', $1 FROM generate_series(0, 19) g`, company)
	a.Exec(b, `INSERT INTO users (email, first_name, last_name, role)
		SELECT 'app' || lpad(g::text, 3, '0') || '@bench.test', 'Apprenti', g::text, 'APPRENTICE' FROM generate_series(0, 199) g`)
	a.Exec(b, `INSERT INTO contracts (apprentice_id, company_id, tutor_id, adviser_id, centre_id, trade_id, start_date, end_date, weekly_hours)
		SELECT ap.id, $1, t.id, $2, $3, $4, '2025-01-01', '2027-12-31', 28
		FROM (SELECT id, row_number() OVER (ORDER BY email) - 1 AS rn FROM users WHERE email LIKE 'app%@bench.test') ap
		JOIN (SELECT id, row_number() OVER (ORDER BY email) - 1 AS rn FROM users WHERE email LIKE 'tutor%@bench.test') t
		  ON t.rn = ap.rn % 20`, company, adviser, centre, trade)
	// 300 days back from 2026-03-17: the 3 newest drafts, the next 7
	// waiting for review, the rest validated (every 17th sent back).
	a.Exec(b, `INSERT INTO log_entries (client_id, contract_id, entry_date, hours, activities, status, version,
			submitted_at, reviewer_id, review_decision, review_comment, reviewed_at)
		SELECT gen_random_uuid(), c.id, date '2026-03-17' - g, 7.5,
			'Débit, assemblage et finition, journée ' || g,
			CASE WHEN g < 3 THEN 'DRAFT' WHEN g < 10 THEN 'SUBMITTED' WHEN g % 17 = 0 THEN 'CHANGES_REQUESTED' ELSE 'VALIDATED' END,
			CASE WHEN g < 3 THEN 1 WHEN g < 10 THEN 2 ELSE 3 END,
			CASE WHEN g >= 3 THEN now() END,
			CASE WHEN g >= 10 THEN c.tutor_id END,
			CASE WHEN g >= 10 THEN CASE WHEN g % 17 = 0 THEN 'REQUEST_CHANGES' ELSE 'VALIDATE' END END,
			CASE WHEN g >= 10 THEN 'Bien' END,
			CASE WHEN g >= 10 THEN now() END
		FROM contracts c CROSS JOIN generate_series(0, 299) g WHERE c.trade_id = $1`, trade)
	a.Exec(b, `INSERT INTO log_entry_competencies (log_entry_id, competency_id, position)
		SELECT e.id, k.id, k.position FROM log_entries e JOIN contracts c ON c.id = e.contract_id
		JOIN competencies k ON k.trade_id = c.trade_id
		 AND k.position IN (1 + (e.entry_date - date '2025-01-01') % 15, 1 + (e.entry_date - date '2025-01-01' + 7) % 15)
		WHERE c.trade_id = $1`, trade)
	a.Exec(b, `ANALYZE`)

	rows, err := a.Pool.Query(context.Background(), `SELECT apprentice_id, id FROM contracts WHERE trade_id = $1 ORDER BY apprentice_id`, trade)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var p [2]uuid.UUID
		rows.Scan(&p[0], &p[1])
		apprentices = append(apprentices, p)
	}
	rows.Close()
	rows, err = a.Pool.Query(context.Background(), `SELECT DISTINCT tutor_id FROM contracts WHERE trade_id = $1`, trade)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var id uuid.UUID
		rows.Scan(&id)
		tutors = append(tutors, id)
	}
	rows.Close()
	if len(apprentices) != 200 || len(tutors) != 20 {
		b.Fatalf("loaded %d contracts, %d tutors", len(apprentices), len(tutors))
	}
	return apprentices, tutors
}

type benchRequest struct {
	token string
	body  []byte
}

// statements counts the SQL statements a pool sends (batched ones too).
type statements struct{ n atomic.Int64 }

func (s *statements) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	s.n.Add(1)
	return ctx
}
func (s *statements) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (s *statements) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}
func (s *statements) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) { s.n.Add(1) }
func (s *statements) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// cpuMeter reads the CPU time used so far by this process (the server and
// the benchmark's clients) and by the PostgreSQL backends serving the
// benchmark's database, which run on the same machine. CPU per request is
// steadier than throughput on a shared machine.
type cpuMeter struct {
	pool *pgxpool.Pool
}

func (m cpuMeter) self() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backends returns the CPU time of each backend of the database (by pid).
func (m cpuMeter) backends() map[int]time.Duration {
	out := map[int]time.Duration{}
	rows, err := m.pool.Query(context.Background(), `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		return out
	}
	pids, _ := pgx.CollectRows(rows, pgx.RowTo[int32])
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue // PostgreSQL on another machine: not measured
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		ut, _ := strconv.ParseInt(f[11], 10, 64)                     // utime, field 14
		st, _ := strconv.ParseInt(f[12], 10, 64)                     // stime, field 15
		out[int(pid)] = time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ = 100
	}
	return out
}

// hammer sends b.N requests from `clients` concurrent clients and reports
// throughput, latency percentiles, CPU per request (this process, and the
// database's backends) and SQL statements per request.
func hammer(b *testing.B, a *testapp.TestApp, clients int, next func(i int) benchRequest) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients * 2}}
	meter := cpuMeter{a.Pool}
	var stmts *statements
	if t, ok := a.Pool.Config().ConnConfig.Tracer.(*statements); ok {
		stmts = t
	}
	var counter atomic.Int64
	lat := make([][]time.Duration, clients)
	var failed atomic.Int64
	var wg sync.WaitGroup
	pgBefore := meter.backends()
	var stmtsBefore int64
	if stmts != nil {
		stmtsBefore = stmts.n.Load()
	}
	b.ResetTimer()
	selfBefore := meter.self()
	start := time.Now()
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(counter.Add(1)) - 1
				if i >= b.N {
					return
				}
				r := next(i)
				req, _ := http.NewRequest(http.MethodPost, a.URL+"/graphql", bytes.NewReader(r.body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+r.token)
				t0 := time.Now()
				res, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				var out struct{ Errors []any }
				json.NewDecoder(res.Body).Decode(&out)
				res.Body.Close()
				lat[w] = append(lat[w], time.Since(t0))
				if res.StatusCode != 200 || len(out.Errors) > 0 {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	selfUsed := meter.self() - selfBefore
	b.StopTimer()
	var stmtsUsed int64
	if stmts != nil {
		stmtsUsed = stmts.n.Load() - stmtsBefore
	}
	var pgUsed time.Duration
	for pid, t := range meter.backends() {
		pgUsed += t - pgBefore[pid]
	}
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d requests failed", n)
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	pct := func(p float64) float64 {
		return float64(all[int(p*float64(len(all)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(selfUsed.Microseconds())/float64(b.N), "go-cpu-µs/op")
	b.ReportMetric(float64(pgUsed.Microseconds())/float64(b.N), "pg-cpu-µs/op")
	if stmts != nil {
		b.ReportMetric(float64(stmtsUsed)/float64(b.N), "stmts/op")
	}
}

func gqlBody(q string, vars map[string]any) []byte {
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	return body
}

// BenchmarkLogBook measures the two hot read paths on 200 contracts × 300
// entries with 16 concurrent clients. Run with a fixed count, e.g.
//
//	go test ./internal/logbook/ -run '^$' -bench LogBook -benchtime 2000x
func BenchmarkLogBook(b *testing.B) {
	// The pool a server gets by default (JALON_DB_MAX_CONNS=20), not the
	// small one tests share.
	_, dbURL := testdb.NewWithURL(b)
	cfg, err := pgxpool.ParseConfig(dbURL + "&pool_max_conns=20")
	if err != nil {
		b.Fatal(err)
	}
	cfg.ConnConfig.Tracer = &statements{}
	postgres.Configure(cfg)
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	a := testapp.NewOn(b, pool, dbURL)
	t0 := time.Now()
	apprentices, tutors := loadBenchData(b, a)
	b.Logf("loaded 60000 entries in %s", time.Since(t0).Round(time.Millisecond))
	// Tokens live 15 minutes on the test clock, which does not move.
	appTokens := make([]string, len(apprentices))
	for i, p := range apprentices {
		appTokens[i] = a.Token(b, testapp.User{ID: p[0], Role: auth.Apprentice})
	}
	tutorTokens := make([]string, len(tutors))
	for i, id := range tutors {
		tutorTokens[i] = a.Token(b, testapp.User{ID: id, Role: auth.Tutor})
	}
	// 16 concurrent clients, or BENCH_CLIENTS (e.g. 64 to see memory under
	// more connections).
	clients := 16
	if n, err := strconv.Atoi(os.Getenv("BENCH_CLIENTS")); err == nil && n > 0 {
		clients = n
	}

	const pageQuery = `query($c: ID!) { logEntries(contractId: $c, first: 20) { pageInfo { hasNextPage endCursor }
		nodes { id date hours activities status version updatedAt competencies { id code title }
			review { reviewer { firstName lastName } decision comment reviewedAt } } } }`
	pageBodies := make([][]byte, len(apprentices))
	for i, p := range apprentices {
		pageBodies[i] = gqlBody(pageQuery, map[string]any{"c": p[1]})
	}
	b.Run("apprentice-page", func(b *testing.B) {
		hammer(b, a, clients, func(i int) benchRequest {
			k := i % len(apprentices)
			return benchRequest{appTokens[k], pageBodies[k]}
		})
	})

	waiting := gqlBody(`{ logEntries(status: SUBMITTED, first: 20) { totalCount pageInfo { hasNextPage endCursor }
		nodes { id date hours activities submittedAt contract { id apprentice { firstName lastName } } competencies { code title } } } }`, nil)
	b.Run("tutor-waiting", func(b *testing.B) {
		hammer(b, a, clients, func(i int) benchRequest {
			return benchRequest{tutorTokens[i%len(tutors)], waiting}
		})
	})
}
