package push_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"jalon/internal/notify"
	"jalon/internal/postgres"
	"jalon/internal/testapp"
	"jalon/internal/testdb"
)

// BenchmarkPushFanOut10000 notifies 10,000 users with one device each, in
// one transaction (10,000 inbox entries and delivery jobs), then measures
// how long the River workers of one process take to push all of them to a
// fake FCM server that answers every send in 20 ms.
//
//	go test ./internal/push/ -run '^$' -bench PushFanOut -benchtime 1x
func BenchmarkPushFanOut10000(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		const users = 10000
		fake := testapp.NewFakeFCM(b)
		fake.Delay = 20 * time.Millisecond
		_, dbURL := testdb.NewWithURL(b)
		// The worker process gets a pool sized for its push workers.
		cfg, err := pgxpool.ParseConfig(dbURL)
		if err != nil {
			b.Fatal(err)
		}
		cfg.MaxConns = 40
		wpool, err := pgxpool.NewWithConfig(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(wpool.Close)
		a := testapp.NewOnWithPush(b, wpool, dbURL, fake, testapp.WithWorker)
		ids := seedRecipients(b, a, users)

		start := time.Now()
		err = postgres.InTx(context.Background(), a.Pool, func(tx pgx.Tx) error {
			ds := make([]notify.Delivery, len(ids))
			for i, id := range ids {
				ds[i] = notify.Delivery{To: id, Message: logSubmitted}
			}
			_, err := a.App.Notify.SendMany(context.Background(), tx, ds)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "enqueue-ms")

		b.StartTimer()
		start = time.Now()
		if err := a.StartWorkers(context.Background()); err != nil {
			b.Fatal(err)
		}
		deadline := time.Now().Add(3 * time.Minute)
		for fake.Count("") < users {
			if time.Now().After(deadline) {
				b.Fatalf("only %d of %d pushes after 3 minutes", fake.Count(""), users)
			}
			time.Sleep(10 * time.Millisecond)
		}
		took := time.Since(start)
		b.StopTimer()
		a.StopWorkers()
		b.ReportMetric(float64(users)/took.Seconds(), "pushes/s")
		if n := fake.Count(""); n != users {
			b.Fatalf("%d pushes for %d devices: duplicates", n, users)
		}
	}
}

// seedRecipients inserts n users with one Android device each.
func seedRecipients(b *testing.B, a *testapp.TestApp, n int) []uuid.UUID {
	b.Helper()
	rows, err := a.Pool.Query(context.Background(), `INSERT INTO users (email, first_name, last_name, role, locale)
		SELECT 'user' || i || '@bench.test', 'User', i::text, 'ADVISER', (ARRAY['FR','NL','DE','EN'])[1 + i % 4]
		FROM generate_series(1, $1::int) i
		RETURNING id`, n)
	if err != nil {
		b.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		b.Fatal(err)
	}
	a.Exec(b, `INSERT INTO devices (user_id, token, platform) SELECT id, 'bench-' || id, 'ANDROID' FROM unnest($1::uuid[]) id`, ids)
	return ids
}
