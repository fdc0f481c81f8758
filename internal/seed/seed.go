// Package seed loads the demo data set: a training centre, two companies, a
// trade with its competency framework, an admin, an adviser, two tutors,
// four apprentices with contracts and three guardians, and each area's demo
// records. Every row
// has a fixed id and is inserted with ON CONFLICT DO NOTHING, so running it
// again changes nothing. Its SQL is written by hand rather than through sqlc:
// these are fixture rows, not queries the product runs or a caller can reach.
package seed

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"jalon/internal/postgres"
)

// DemoPassword is the password of every demo login (development only).
const DemoPassword = "jalon-demo"

// step seeds one area.
type step struct {
	name string
	fn   func(ctx context.Context, tx pgx.Tx, now time.Time) error
}

// steps run in order, in one transaction. Areas append theirs.
var steps = []step{
	{"people, companies, trade and contracts", seedCore},
	{"evaluations", seedEvaluations},
	{"visits", seedVisits},
	{"logbook", seedLogbook},
	{"identity", seedIdentity},
	{"notifications", seedNotifications},
	{"guardians", seedGuardians},
	{"risk", seedRisk},
}

// Demo loads the demo data set into the database, dated around today.
func Demo(ctx context.Context, pool *pgxpool.Pool, out io.Writer) error {
	return DemoAt(ctx, pool, out, time.Now())
}

// DemoAt is Demo as if run at now. Running it again at any later time adds
// nothing: every row has a fixed id, and the log book is dated from the day
// the demo data was first loaded.
func DemoAt(ctx context.Context, pool *pgxpool.Pool, out io.Writer, now time.Time) error {
	err := postgres.InTx(ctx, pool, func(tx pgx.Tx) error {
		for _, s := range steps {
			if err := s.fn(ctx, tx, now); err != nil {
				return fmt.Errorf("seed %s: %w", s.name, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "demo data loaded; logins (password %q):\n", DemoPassword)
	for _, u := range demoUsers {
		fmt.Fprintf(out, "  %-10s %s\n", u.role, u.email)
	}
	return nil
}
