package logbook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"jalon/internal/auth"
	"jalon/internal/benchdata"
	"jalon/internal/testapp"
	"jalon/internal/testdb"
)

// loadBenchData fills the database with benchdata.Full (200 contracts of
// 20 tutors × 10 apprentices, 300 daily entries each, 2 competencies per
// entry: the data set cmd/loadcompare loads too) and returns the
// apprentices' (id, contract) pairs and the tutors' ids.
func loadBenchData(b *testing.B, a *testapp.TestApp) (apprentices [][2]uuid.UUID, tutors []uuid.UUID) {
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

// hammer sends b.N requests from `clients` concurrent clients and reports
// throughput and latency percentiles.
func hammer(b *testing.B, a *testapp.TestApp, clients int, next func(i int) benchRequest) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients * 2}}
	var counter atomic.Int64
	lat := make([][]time.Duration, clients)
	var failed atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
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
	b.StopTimer()
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
	pool, err := pgxpool.New(context.Background(), dbURL+"&pool_max_conns=20")
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
	const clients = 16

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
