package logbook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"jalon/internal/auth"
	"jalon/internal/benchdata"
	"jalon/internal/postgres"
	"jalon/internal/procstat"
	"jalon/internal/testapp"
	"jalon/internal/testdb"
)

// loadBenchData fills the database with benchdata.Full (200 contracts of
// 20 tutors × 10 apprentices, 300 daily entries each, 2 competencies per
// entry: the data set cmd/loadcompare loads too) and returns the
// apprentices' (id, contract) pairs and the tutors' ids.
func loadBenchData(b testing.TB, a *testapp.TestApp) (apprentices [][2]uuid.UUID, tutors []uuid.UUID) {
	b.Helper()
	set, err := benchdata.Load(context.Background(), a.Pool, benchdata.Full)
	if err != nil {
		b.Fatal(err)
	}
	for _, ap := range set.Apprentices {
		apprentices = append(apprentices, [2]uuid.UUID{ap.ID, ap.Contract})
	}
	return apprentices, set.Tutors
}

type benchRequest struct {
	token string
	body  []byte
}

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

// backends returns the CPU time of each backend of the database (by pid;
// none when PostgreSQL runs on another machine).
func (m cpuMeter) backends() map[int]time.Duration {
	rows, err := m.pool.Query(context.Background(), `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		return nil
	}
	pids, _ := pgx.CollectRows(rows, pgx.RowTo[int])
	return procstat.CPUTimes(pids)
}

// hammer sends b.N requests from `clients` concurrent clients and reports
// throughput, latency percentiles, CPU per request (this process, and the
// database's backends) and SQL statements per request.
func hammer(b *testing.B, a *testapp.TestApp, clients int, next func(i int) benchRequest) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients * 2}}
	meter := cpuMeter{a.Pool}
	stmts, _ := a.Pool.Config().ConnConfig.Tracer.(*postgres.StatementCounter)
	var counter atomic.Int64
	lat := make([][]time.Duration, clients)
	var failed atomic.Int64
	var wg sync.WaitGroup
	pgBefore := meter.backends()
	var stmtsBefore int64
	if stmts != nil {
		stmtsBefore = stmts.Statements()
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
		stmtsUsed = stmts.Statements() - stmtsBefore
	}
	pgUsed := procstat.Since(pgBefore, meter.backends())
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
	(&postgres.StatementCounter{}).Install(cfg.ConnConfig)
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
