// Command loadcompare measures Jalon against a hand-written server
// (net/http + pgxpool + encoding/json, the same token verification, session
// lookup and authorization) on the two daily screens of issue 12: an
// apprentice's log-book page and a tutor's waiting list. It loads the data
// set into a fresh database, starts both servers as child processes, checks
// that they answer byte for byte alike, drives them alternately over
// loopback HTTP and prints a table with the ratio Jalon / hand-written.
//
//	go run ./cmd/loadcompare                     # issue 12's run: 16 and 64 connections, 7 × 15 s rounds
//	go run ./cmd/loadcompare -conns 16 -rounds 3 -round 5s -cpuprofile /tmp/jalon
//
// Run it on a quiet machine: the load generator, both servers and
// PostgreSQL share the CPUs.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	_ "time/tzdata" // as cmd/jalon: time zones never depend on the host

	"jalon/internal/benchdata"
	"jalon/internal/loadcompare"
)

func main() {
	// Started again by itself as one of the two servers.
	loadcompare.MaybeChild()

	var (
		o        loadcompare.Options
		conns    = "16,64"
		screens  = "apprentice,tutor"
		jalonEnv multiFlag
	)
	fs := flag.NewFlagSet("loadcompare", flag.ExitOnError)
	fs.StringVar(&o.ServerURL, "db", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
		"a database of the PostgreSQL server: a fresh database is created there, migrated, and dropped at the end")
	fs.BoolVar(&o.Keep, "keep", false, "keep the database at the end")
	fs.StringVar(&conns, "conns", conns, "client connections, comma-separated (each value is a set of rounds)")
	fs.StringVar(&screens, "screens", screens, "screens to measure: apprentice, tutor")
	fs.DurationVar(&o.Round, "round", 15e9, "duration of one round of one server")
	fs.IntVar(&o.Rounds, "rounds", 7, "rounds per server, screen and connection count (alternating servers)")
	fs.DurationVar(&o.Warmup, "warmup", 3e9, "warm-up of each server before the rounds of a screen and connection count")
	fs.IntVar(&o.DBConns, "db-conns", 20, "pool size of each server (JALON_DB_MAX_CONNS)")
	fs.IntVar(&o.Size.Tutors, "tutors", benchdata.Full.Tutors, "tutors in the data set")
	fs.IntVar(&o.Size.ApprenticesPerTutor, "apprentices", benchdata.Full.ApprenticesPerTutor, "apprentices per tutor (one contract each)")
	fs.IntVar(&o.Size.EntriesPerContract, "entries", benchdata.Full.EntriesPerContract, "log entries per contract")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "path prefix: after the rounds of each screen and connection count, profile one more Jalon round into PREFIX-<screen>-c<conns>.pprof")
	fs.Var(&jalonEnv, "jalon-env", "KEY=VALUE in the Jalon server's environment (repeatable), e.g. GOGC=400")
	fs.Parse(os.Args[1:])
	o.JalonEnv = jalonEnv
	for c := range strings.SplitSeq(conns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil {
			fail(fmt.Errorf("-conns: %w", err))
		}
		o.Conns = append(o.Conns, n)
	}
	for s := range strings.SplitSeq(screens, ",") {
		o.Screens = append(o.Screens, loadcompare.Screen(strings.TrimSpace(s)))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := loadcompare.Run(ctx, o); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "loadcompare:", err)
	os.Exit(1)
}

type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, " ") }
func (m *multiFlag) Set(v string) error {
	if !strings.Contains(v, "=") {
		return fmt.Errorf("want KEY=VALUE, got %q", v)
	}
	*m = append(*m, v)
	return nil
}
