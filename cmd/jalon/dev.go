package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"jalon/internal/app"
	"jalon/internal/config"
	"jalon/internal/logging"
	"jalon/internal/pgcluster"
	"jalon/internal/seed"
)

// dev is the README's one command for a newcomer: it finds a PostgreSQL
// (DATABASE_URL, else 127.0.0.1:5432, else a private cluster in .pgdata/ that
// it stops on exit, or takes over when a crashed run left it running),
// creates the database if missing, migrates, loads the demo data and serves
// on 127.0.0.1. A DATABASE_URL that does not answer is an error: the server
// the developer named is never silently replaced. Without JALON_SMTP_URL,
// mail goes to a catcher (Mailpit) on 127.0.0.1:1025 when one answers.
func dev(ctx context.Context, cfg config.Config) error {
	if cfg.Production() {
		return fmt.Errorf("JALON_ENV: `jalon dev` is for development only")
	}
	cfg.SetDevelopment() // asked for explicitly: the development keys are allowed
	log := logging.New(cfg, os.Stderr)
	if err := pgcluster.Ping(ctx, serverURL(cfg.DatabaseURL)); err != nil {
		if !cfg.DatabaseURLDefaulted() {
			return fmt.Errorf("DATABASE_URL: %w (unset it to let `jalon dev` use a local or private PostgreSQL)", err)
		}
		log.Info().Msg("no PostgreSQL answers on 127.0.0.1:5432: using a private cluster in .pgdata/")
		c, err := pgcluster.Start(ctx, ".pgdata")
		if err != nil {
			return err
		}
		if c.Reused {
			log.Warn().Int("port", c.Port).Msg("the private cluster an earlier `jalon dev` left running (it did not stop cleanly) is reused")
		}
		defer func() {
			log.Info().Msg("stopping the private PostgreSQL cluster")
			c.Stop()
		}()
		cfg.DatabaseURL = c.URL("jalon")
	}
	if err := ensureDatabase(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	if cfg.Mail.SMTP == nil {
		if smtp, ok := localCatcher(devMailCatcher); ok {
			cfg.Mail.SMTP = &smtp
			if cfg.Mail.From == "" {
				cfg.Mail.From = config.DevelopmentMailFrom
			}
			log.Info().Stringer("smtp", smtp).Msg("e-mail goes to the mail catcher on this machine (Mailpit's web page: http://127.0.0.1:8025)")
		} else {
			log.Info().Msg("no mail catcher answers on " + devMailCatcher + ": e-mail is off (README, E-mail)")
		}
	}
	a, err := app.New(ctx, cfg, log, app.Options{MigrationLog: os.Stderr})
	if err != nil {
		return err
	}
	defer a.Close()
	if err := seed.Demo(ctx, a.Pool, os.Stderr); err != nil {
		return err
	}
	if err := printDemoReviewLinks(ctx, a.Pool, cfg, os.Stderr); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("JALON_ADDR: %w", err)
	}
	return a.Serve(ctx, ln)
}

// devMailCatcher is where `jalon dev` looks for a mail catcher: Mailpit's
// SMTP port.
const devMailCatcher = "127.0.0.1:1025"

// localCatcher reports whether an SMTP server greets on addr (a "220"
// line within a second), and its configuration: no TLS, no credentials.
func localCatcher(addr string) (config.SMTPConfig, bool) {
	conn, err := net.DialTimeout("tcp", addr, 300*time.Millisecond)
	if err != nil {
		return config.SMTPConfig{}, false
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(time.Second))
	greeting, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.HasPrefix(greeting, "220") {
		return config.SMTPConfig{}, false
	}
	host, port, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(port)
	return config.SMTPConfig{Host: host, Port: n, TLS: config.NoTLS}, true
}

// serverURL is dbURL pointed at the maintenance database "postgres".
func serverURL(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return dbURL
	}
	u.Path = "/postgres"
	return u.String()
}

// ensureDatabase creates the database named in url when it is missing.
func ensureDatabase(ctx context.Context, dbURL string) error {
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	conn, err := pgx.Connect(ctx, serverURL(dbURL))
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	// Hand-written: the server's catalogue and a CREATE DATABASE on the
	// maintenance connection, before Jalon's schema exists (sqlc checks
	// queries against that schema, and DDL takes no parameters).
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, cfg.Database).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{cfg.Database}.Sanitize())
	return err
}
