package logbook_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"jalon/internal/auth"
	"jalon/internal/testapp"
	"jalon/internal/testdb"
)

// BenchmarkWrites measures the evening's writes on the log-book
// benchmark's data (200 contracts × 300 entries), 16 concurrent clients over
// HTTP against the real handler, a pool of 20 connections:
//
//   - create-submit: an apprentice's createLogEntry(submit: true): the entry
//     and its competencies, under the contract's row lock (hours per day),
//     the tutor's LOG_SUBMITTED notification and its push job, in one
//     transaction;
//   - review: a tutor's reviewLogEntry(VALIDATE) of a waiting entry: the
//     review, its audit row, the apprentice's notification and push job.
//
// Run it with a fixed count:
//
//	go test ./internal/logbook/ -run '^$' -bench Writes -benchtime 2000x
func BenchmarkWrites(b *testing.B) {
	_, dbURL := testdb.NewWithURL(b)
	pool, err := pgxpool.New(context.Background(), dbURL+"&pool_max_conns=20")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	a := testapp.NewOn(b, pool, dbURL)
	apprentices, _ := loadBenchData(b, a)
	appTokens := make([]string, len(apprentices))
	for i, p := range apprentices {
		appTokens[i] = a.Token(b, testapp.User{ID: p[0], Role: auth.Apprentice})
	}
	const clients = 16
	rows, err := a.Pool.Query(context.Background(), `SELECT id FROM competencies ORDER BY position LIMIT 2`)
	if err != nil {
		b.Fatal(err)
	}
	competencies, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		b.Fatal(err)
	}

	const create = `mutation($in: CreateLogEntryInput!) { createLogEntry(input: $in) { id status version } }`
	rounds := 0 // requests sent so far, across b.N runs: each adds a quarter hour to a new day
	b.Run("create-submit", func(b *testing.B) {
		base := rounds
		rounds += b.N
		defer reportCPU(b, a.Pool)()
		hammer(b, a, clients, func(i int) benchRequest {
			n := base + i
			k := n % len(apprentices)
			// Days the seed logged 7.5 h on: a quarter hour more is allowed.
			date := fmt.Sprintf("2026-03-%02d", 17-(n/len(apprentices))%17)
			return benchRequest{token: appTokens[k], body: gqlBody(create, map[string]any{"in": map[string]any{
				"clientId": uuid.NewString(), "contractId": apprentices[k][1], "date": date, "hours": 0.25,
				"activities":    "Pose de plinthes et de chambranles, ponçage et finition au vernis.",
				"competencyIds": competencies, "submit": true}})}
		})
	})

	// Every entry waiting for review, with its tutor's token.
	type waiting struct {
		id    uuid.UUID
		token string
	}
	rows, err = a.Pool.Query(context.Background(), `SELECT e.id, c.tutor_id FROM log_entries e JOIN contracts c ON c.id = e.contract_id
		WHERE e.status = 'SUBMITTED' ORDER BY e.entry_date DESC, e.id`)
	if err != nil {
		b.Fatal(err)
	}
	pairs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ ID, Tutor uuid.UUID }])
	if err != nil {
		b.Fatal(err)
	}
	tokens := map[uuid.UUID]string{}
	queue := make([]waiting, len(pairs))
	for i, p := range pairs {
		if tokens[p.Tutor] == "" {
			tokens[p.Tutor] = a.Token(b, testapp.User{ID: p.Tutor, Role: auth.Tutor})
		}
		queue[i] = waiting{p.ID, tokens[p.Tutor]}
	}
	const review = `mutation($id: ID!) { reviewLogEntry(id: $id, input: {decision: VALIDATE}) { id status } }`
	taken := 0
	b.Run("review", func(b *testing.B) {
		if taken+b.N > len(queue) {
			b.Fatalf("%d entries wait for review, %d asked for", len(queue)-taken, b.N)
		}
		base := taken
		taken += b.N
		defer reportCPU(b, a.Pool)()
		hammer(b, a, clients, func(i int) benchRequest {
			w := queue[base+i]
			return benchRequest{token: w.token, body: gqlBody(review, map[string]any{"id": w.id})}
		})
	})
}

// BenchmarkStorage reports the bytes per row (indexes and TOAST
// included) of the log book's tables on the benchmark's data, for
// docs/capacity.md: 60,000 entries with 300-character activities and two
// competencies each, one photo's record on one entry in three, the 1,400
// waiting entries reviewed through the API (their audit rows), 90
// sessions per apprentice (a month of daily refreshes), and the tutor's
// daily read of each log book in the record access log. Time is not what it
// measures.
//
//	go test ./internal/logbook/ -run '^$' -bench Storage -benchtime 1x
func BenchmarkStorage(b *testing.B) {
	a := testapp.New(b)
	_, tutors := loadBenchData(b, a)
	// The seed's activities are short; an apprentice writes a few lines.
	a.Exec(b, `UPDATE log_entries SET activities = left(activities || '. ' ||
		repeat('Pose de plinthes et de chambranles, ponçage, finition au vernis; rangement de l''atelier. ', 5), 300)`)
	a.Exec(b, `VACUUM FULL log_entries`)
	a.Exec(b, `INSERT INTO log_attachments (id, log_entry_id, content_type, size)
		SELECT gen_random_uuid(), id, 'image/jpeg', 1500000 FROM log_entries WHERE hashtext(id::text) % 3 = 0`)
	a.Exec(b, `INSERT INTO sessions (family_id, user_id, token_hash, created_at, expires_at, rotated_at)
		SELECT gen_random_uuid(), u.id, sha256(gen_random_uuid()::text::bytea), now(), now() + interval '30 days', now()
		FROM users u CROSS JOIN generate_series(1, 90) WHERE u.role = 'APPRENTICE'`)
	// Who read the log book: the tutor, every day of the 300.
	a.Exec(b, `INSERT INTO record_access (apprentice_id, reader_id, reader_role, kind, day, first_read_at)
		SELECT c.apprentice_id, c.tutor_id, 'TUTOR', 'LOG_BOOK', d::date, d + interval '19 hours'
		FROM contracts c CROSS JOIN generate_series(date '2026-03-17' - 299, date '2026-03-17', interval '1 day') d`)
	for _, tutor := range tutors {
		tok := a.Token(b, testapp.User{ID: tutor, Role: auth.Tutor})
		rows, err := a.Pool.Query(context.Background(), `SELECT e.id FROM log_entries e JOIN contracts c ON c.id = e.contract_id
			WHERE e.status = 'SUBMITTED' AND c.tutor_id = $1`, tutor)
		if err != nil {
			b.Fatal(err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		if err != nil {
			b.Fatal(err)
		}
		a.Query(b, tok, `mutation($ids: [ID!]!) { reviewLogEntries(ids: $ids, input: {decision: VALIDATE}) { id } }`,
			map[string]any{"ids": ids}).Decode(b, &struct{}{})
	}
	b.ResetTimer()
	for range b.N {
	}
	a.ReportStorage(b, "log_entries", "log_entry_competencies", "log_attachments", "audit_log", "sessions", "record_access")
}

// reportCPU measures the CPU time the benchmark's requests cost, which a
// busy machine does not inflate the way it does throughput: the test
// process's (server and client: go-cpu-ms/op) and, when PostgreSQL runs on
// this machine, that of the database's backend processes (pg-cpu-ms/op,
// from /proc; PostgreSQL's own background writers are not counted). Call
// the function it returns when the requests are done.
func reportCPU(b *testing.B, pool *pgxpool.Pool) func() {
	goStart, pgStart := processCPU(), backendsCPU(pool)
	return func() {
		n := float64(b.N)
		b.ReportMetric((processCPU()-goStart).Seconds()*1000/n, "go-cpu-ms/op")
		if pgEnd := backendsCPU(pool); len(pgEnd) > 0 {
			var d time.Duration
			for pid, end := range pgEnd {
				d += end - pgStart[pid]
			}
			b.ReportMetric(d.Seconds()*1000/n, "pg-cpu-ms/op")
		}
	}
}

// processCPU is the user + system CPU time of this process.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backendsCPU returns the user + system CPU time of each backend process
// connected to pool's database, read from /proc (empty when PostgreSQL is
// on another machine).
func backendsCPU(pool *pgxpool.Pool) map[int]time.Duration {
	rows, err := pool.Query(context.Background(), `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		return nil
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil
	}
	out := map[int]time.Duration{}
	for _, pid := range pids {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// Fields after the command's closing parenthesis; utime and stime
		// are the 14th and 15th fields, in clock ticks (100 per second).
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) < 13 {
			continue
		}
		utime, _ := strconv.ParseInt(fields[11], 10, 64)
		stime, _ := strconv.ParseInt(fields[12], 10, 64)
		out[int(pid)] = time.Duration(utime+stime) * 10 * time.Millisecond
	}
	return out
}
