package seed_test

import (
	"context"
	"io"
	"testing"
	"time"

	"jalon/internal/seed"
	"jalon/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// Running the demo seed twice leaves the same rows in every table.
func TestDemoIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	counts := func() map[string]int64 {
		rows, err := pool.Query(ctx, `SELECT table_name FROM information_schema.tables
			WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
			  AND table_name NOT LIKE 'river%' AND table_name <> 'goose_db_version'`)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for rows.Next() {
			var n string
			rows.Scan(&n)
			names = append(names, n)
		}
		rows.Close()
		out := map[string]int64{}
		for _, n := range names {
			var c int64
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+n).Scan(&c); err != nil {
				t.Fatal(err)
			}
			out[n] = c
		}
		return out
	}
	if err := seed.Demo(ctx, pool, io.Discard); err != nil {
		t.Fatal(err)
	}
	first := counts()
	if first["users"] != 11 || first["contracts"] != 4 || first["competencies"] != 15 || first["companies"] != 2 {
		t.Fatalf("unexpected demo data: %v", first)
	}
	// The adviser's caseload shows every level, and an intervention.
	var levels []string
	rows, err := pool.Query(ctx, `SELECT DISTINCT level FROM contract_risks ORDER BY level`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var l string
		rows.Scan(&l)
		levels = append(levels, l)
	}
	rows.Close()
	if len(levels) != 3 || first["interventions"] != 1 {
		t.Fatalf("demo risk levels %v, interventions %d", levels, first["interventions"])
	}
	if err := seed.Demo(ctx, pool, io.Discard); err != nil {
		t.Fatal(err)
	}
	second := counts()
	for table, n := range first {
		if second[table] != n {
			t.Errorf("%s: %d rows after the first run, %d after the second", table, n, second[table])
		}
	}

	// Days later (`jalon dev` seeds at every start): still nothing new.
	if err := seed.DemoAt(ctx, pool, io.Discard, time.Now().AddDate(0, 0, 9)); err != nil {
		t.Fatal(err)
	}
	third := counts()
	for table, n := range first {
		if third[table] != n {
			t.Errorf("%s: %d rows after the first run, %d when run again days later", table, n, third[table])
		}
	}
}
