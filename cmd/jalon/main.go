// Command jalon is Jalon's one binary: the API server and its operator tools.
//
//	jalon serve [--no-migrate] [--no-worker]
//	                               serve the API (migrates first unless told not to)
//	jalon worker [--no-migrate]    work the job queue only (no HTTP)
//	jalon dev                      local database + migrations + demo data + serve
//	jalon migrate up|down|status   manage the schema
//	jalon seed-demo [--cohort N] [--review-link]
//	                               load the demo data set (idempotent); --cohort: generated
//	                               contracts; --review-link: print review-page links
//	jalon user add --role R ...    create a user, password on standard input
//	jalon import contracts F.csv   check every row, then import all or nothing
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // time zones never depend on the host (see internal/clock)

	"github.com/jackc/pgx/v5/pgxpool"

	"jalon/internal/app"
	"jalon/internal/config"
	"jalon/internal/logging"
	"jalon/internal/postgres"
	"jalon/internal/postgres/deploymentdb"
	"jalon/internal/seed"
)

const usage = `usage: jalon <command> [arguments]

commands:
  serve [--no-migrate] [--no-worker]
                              serve the GraphQL API on JALON_ADDR (and work jobs unless
                              --no-worker or JALON_WORKER=false)
  worker [--no-migrate]       work the job queue only: push delivery, follow-up scans
  dev                         start a local database if needed, migrate, seed demo data, serve
  migrate up|down|status      apply, roll back one, or list migrations
  seed-demo [--cohort N]      load the demo data set (safe to run again); --cohort N also
                              generates N contracts with personas and prints their risk figures
  seed-demo ... --review-link  also issue and print a review-page link for each demo tutor
  user add --role ROLE --email E --first-name F --last-name L [--locale FR] [--company-id ID]
                              create a user; the password is read from standard input
  import contracts FILE.csv   check every row, report all bad rows, then import all or nothing
`

func main() {
	app.GCDefaults(os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "jalon:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return errors.New("missing command")
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	switch args[0] {
	case "serve":
		return serve(ctx, cfg, args[1:])
	case "worker":
		return worker(ctx, cfg, args[1:])
	case "dev":
		return dev(ctx, cfg)
	case "migrate":
		return migrate(ctx, cfg, args[1:], stdout)
	case "seed-demo":
		return seedDemo(ctx, cfg, args[1:], stdout)
	case "user":
		return userCmd(ctx, cfg, args[1:], stdin, stdout)
	case "import":
		return importCmd(ctx, cfg, args[1:], stdout)
	default:
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}

func serve(ctx context.Context, cfg config.Config, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	noMigrate := fs.Bool("no-migrate", false, "do not apply pending migrations at start")
	noWorker := fs.Bool("no-worker", false, "do not work the job queue in this process (same as JALON_WORKER=false)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *noMigrate {
		cfg.AutoMigrate = false
	}
	if *noWorker {
		cfg.Worker.Enabled = false
	}
	log := logging.New(cfg, os.Stderr)
	a, err := app.New(ctx, cfg, log, app.Options{MigrationLog: os.Stderr})
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("JALON_ADDR: %w", err)
	}
	return a.Serve(ctx, ln)
}

func migrate(ctx context.Context, cfg config.Config, args []string, out io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: jalon migrate up|down|status")
	}
	// Migrations need a session (River's run outside a transaction): the
	// direct connection when DATABASE_URL is a pooler.
	pool, err := postgres.Connect(ctx, cfg.SessionDatabaseURL(), cfg.DBMaxConns)
	if err != nil {
		return err
	}
	defer pool.Close()
	m, err := postgres.NewMigrator(pool)
	if err != nil {
		return err
	}
	defer m.Close()
	switch args[0] {
	case "up":
		return m.Up(ctx, out)
	case "down":
		return m.Down(ctx, out)
	case "status":
		return m.Status(ctx, out)
	}
	return fmt.Errorf("unknown migrate command %q (up, down, status)", args[0])
}

// connectMigrated opens the database of cfg with every migration applied:
// operator commands work on a database in the current schema, over the
// direct connection (JALON_DATABASE_LISTEN_URL when set).
func connectMigrated(ctx context.Context, cfg config.Config) (*pgxpool.Pool, error) {
	pool, err := postgres.Connect(ctx, cfg.SessionDatabaseURL(), cfg.DBMaxConns)
	if err != nil {
		return nil, err
	}
	m, err := postgres.NewMigrator(pool)
	if err == nil {
		err = m.Up(ctx, io.Discard)
		m.Close()
	}
	if err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

// seedDemo loads the demo accounts, whose passwords are public and one of
// which is an admin: never into a production database. It refuses when its
// own JALON_ENV is production, and when a production process has used the
// database (the deployment table), whatever this shell's environment says.
//
// With --review-link it prints a review-page link for each demo tutor
// (printDemoReviewLinks). With --cohort N it generates N more contracts with personas over the
// school year (seed.Cohort) and computes their risk, printing the share of
// each persona that is HIGH (README "Risk": the cohort figures).
func seedDemo(ctx context.Context, cfg config.Config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("seed-demo", flag.ContinueOnError)
	cohort := fs.Int("cohort", 0, "also generate this many contracts with personas and compute their risk")
	reviewLinks := fs.Bool("review-link", false, "also issue and print a review-page link for each demo tutor")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cohort < 0 || *cohort > 100000 {
		return errors.New("--cohort: 0 to 100000 contracts")
	}
	if cfg.Production() {
		return errors.New("JALON_ENV=production: `jalon seed-demo` refuses to load the demo accounts (public passwords, an admin) into a production database")
	}
	pool, err := connectMigrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	production, err := deploymentdb.New(pool).UsedInProduction(ctx)
	if err != nil {
		return err
	}
	if production {
		return errors.New("this database is production's (a production process used it): `jalon seed-demo` refuses to load the demo accounts (public passwords, an admin)")
	}
	if err := seed.Demo(ctx, pool, out); err != nil {
		return err
	}
	if *reviewLinks {
		if err := printDemoReviewLinks(ctx, pool, cfg, out); err != nil {
			return err
		}
	}
	if *cohort == 0 {
		return nil
	}
	return seed.CohortReport(ctx, pool, *cohort, time.Now(), out)
}
