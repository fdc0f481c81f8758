package main

import (
	"context"
	"encoding/base64"
	"os"
	"strings"
	"testing"

	"jalon/internal/testtools"
)

// A DATABASE_URL the developer set, on which no server answers, is an
// error: `jalon dev` does not start a private cluster in its place.
func TestDevRefusesAnUnreachableExplicitDatabaseURL(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:1/jalon?sslmode=disable")
	err := run(context.Background(), []string{"dev"}, strings.NewReader(""), os.Stdout)
	if err == nil || !strings.HasPrefix(err.Error(), "DATABASE_URL: ") {
		t.Fatalf("want an error naming DATABASE_URL, got %v", err)
	}
	if _, err := os.Stat(".pgdata"); err == nil {
		os.RemoveAll(".pgdata")
		t.Fatal("a private cluster was started in place of the DATABASE_URL given")
	}
}

// serve and worker refuse the public development keys unless development
// mode is asked for; seed-demo refuses a production configuration.
func TestFailClosedWithoutConfiguration(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:1/jalon?sslmode=disable")
	for _, cmd := range []string{"serve", "worker"} {
		t.Setenv("JALON_ENV", "")
		err := run(context.Background(), []string{cmd}, strings.NewReader(""), os.Stdout)
		if err == nil || !strings.Contains(err.Error(), "set JALON_ENV=development") {
			t.Fatalf("jalon %s without JALON_ENV: want the development keys refused, got %v", cmd, err)
		}
		t.Setenv("JALON_ENV", "production")
		err = run(context.Background(), []string{cmd}, strings.NewReader(""), os.Stdout)
		if err == nil || !strings.Contains(err.Error(), "development key") {
			t.Fatalf("jalon %s in production: want the development keys refused, got %v", cmd, err)
		}
	}
	t.Setenv("JALON_ENV", "production")
	t.Setenv("JALON_JWT_KEYS", "k:"+base64.StdEncoding.EncodeToString([]byte(strings.Repeat("p", 40))))
	t.Setenv("JALON_JWT_SIGNING_KEY_ID", "k")
	t.Setenv("JALON_URL_SIGNING_KEY", strings.Repeat("u", 40))
	t.Setenv("JALON_IDENTITY_KEY", strings.Repeat("i", 40))
	err := run(context.Background(), []string{"seed-demo"}, strings.NewReader(""), os.Stdout)
	if err == nil || !strings.HasPrefix(err.Error(), "JALON_ENV=production") {
		t.Fatalf("seed-demo in production: want a refusal, got %v", err)
	}
}

// `jalon dev` sends mail to a catcher on this machine when one greets, and
// leaves e-mail off otherwise (a port that is closed, or that is not SMTP).
func TestDevFindsALocalMailCatcher(t *testing.T) {
	smtpURL, api := testtools.StartMailpit(t)
	addr := strings.TrimSuffix(strings.TrimPrefix(smtpURL, "smtp://"), "?tls=none")
	smtp, ok := localCatcher(addr)
	if !ok || smtp.String() != smtpURL {
		t.Fatalf("catcher at %s: %v %s", addr, ok, smtp)
	}
	if _, ok := localCatcher("127.0.0.1:1"); ok {
		t.Fatal("a closed port is a catcher")
	}
	if _, ok := localCatcher(strings.TrimPrefix(api, "http://")); ok {
		t.Fatal("an HTTP server is a catcher")
	}
}
