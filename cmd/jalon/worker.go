package main

import (
	"context"
	"flag"
	"os"

	"jalon/internal/app"
	"jalon/internal/config"
	"jalon/internal/logging"
)

// worker works the job queue without serving HTTP: push deliveries, the
// periodic follow-up scan, and every job registered in internal/app/jobs.go. Run as
// many as needed next to `JALON_WORKER=false jalon serve` processes; River
// hands each job to one of them.
func worker(ctx context.Context, cfg config.Config, args []string) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	noMigrate := fs.Bool("no-migrate", false, "do not apply pending migrations at start")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *noMigrate {
		cfg.AutoMigrate = false
	}
	cfg.Worker.Enabled = true
	log := logging.New(cfg, os.Stderr)
	a, err := app.New(ctx, cfg, log, app.Options{MigrationLog: os.Stderr})
	if err != nil {
		return err
	}
	defer a.Close()
	return a.Work(ctx)
}
