package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"jalon/internal/admin"
	"jalon/internal/clock"
	"jalon/internal/config"
	"jalon/internal/logging"
	"jalon/internal/service"
)

// importCmd runs `jalon import contracts FILE.csv`: every row is checked
// first and all bad rows are reported with their line numbers; only a file
// without a bad row is imported, all of it in one transaction.
func importCmd(ctx context.Context, cfg config.Config, args []string, out io.Writer) error {
	if len(args) != 2 || args[0] != "contracts" {
		return errors.New("usage: jalon import contracts FILE.csv")
	}
	f, err := os.Open(args[1])
	if err != nil {
		return err
	}
	defer f.Close()
	pool, err := connectMigrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	// An operator's tool: no App, just the one service it runs.
	importer := &admin.Service{Base: service.Base{DB: pool, Clock: clock.Real{}, Log: logging.New(cfg, os.Stderr)}}
	n, err := importer.ImportContracts(ctx, f)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "imported %d contracts from %s\n", n, args[1])
	return nil
}
