package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"jalon/internal/admin"
	"jalon/internal/auth"
	"jalon/internal/testapp"
	"jalon/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// The commands read the configuration from the environment, so these tests
// set DATABASE_URL and cannot run in parallel.

func TestUserAddBootstrapsAnAdmin(t *testing.T) {
	a := testapp.New(t)
	t.Setenv("DATABASE_URL", a.DBURL)
	var out bytes.Buffer
	err := run(context.Background(), []string{"user", "add", "--role", "admin", "--email", "root@example.test",
		"--first-name", "Anne", "--last-name", "Dubois"}, strings.NewReader("an operator password\n"), &out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "created ADMIN root@example.test") || strings.Contains(out.String(), "operator password") {
		t.Fatalf("output %q", out.String())
	}
	s := a.Login(t, "root@example.test", "an operator password")
	if s.User.Role != "ADMIN" {
		t.Fatalf("role %s", s.User.Role)
	}
	// Rules apply: a password too short, a taken address.
	err = run(context.Background(), []string{"user", "add", "--role", "ADMIN", "--email", "x@example.test",
		"--first-name", "A", "--last-name", "B"}, strings.NewReader("short\n"), &out)
	if err == nil || !strings.Contains(err.Error(), "password") {
		t.Fatalf("short password: %v", err)
	}
	err = run(context.Background(), []string{"user", "add", "--role", "ADMIN", "--email", "ROOT@example.test",
		"--first-name", "A", "--last-name", "B"}, strings.NewReader("another long password\n"), &out)
	if err == nil || !strings.Contains(err.Error(), "CONFLICT") {
		t.Fatalf("duplicate: %v", err)
	}
}

func TestImportContractsAllOrNothing(t *testing.T) {
	a := testapp.New(t)
	t.Setenv("DATABASE_URL", a.DBURL)
	ctx := context.Background()
	base := a.NewContract(t) // a company, tutor, adviser, centre and trade to point to
	var centre, trade string
	a.Pool.QueryRow(ctx, `SELECT name FROM training_centres WHERE id = $1`, base.CentreID).Scan(&centre)
	a.Pool.QueryRow(ctx, `SELECT code FROM trades WHERE id = $1`, base.TradeID).Scan(&trade)
	// The fixture company number is not a real one: give it a valid number.
	a.Exec(t, `UPDATE companies SET enterprise_number = '0417497106' WHERE id = $1`, base.CompanyID)
	ap1, ap2, ap3 := a.NewUser(t, auth.Apprentice), a.NewUser(t, auth.Apprentice), a.NewUser(t, auth.Apprentice)
	row := func(ap testapp.User, tutor, start, end, hours string) string {
		return strings.Join([]string{ap.Email, tutor, base.Adviser.Email, "BE0417.497.106", base.CentreID.String(), trade, start, end, hours}, ",")
	}
	header := strings.Join(admin.ImportColumns, ",")
	bad := strings.Join([]string{
		header,
		row(ap1, base.Tutor.Email, "2026-09-01", "2028-08-31", "28"),             // line 2: good
		row(ap2, base.Adviser.Email, "2026-09-01", "2028-08-31", "28"),           // line 3: tutor is an adviser
		row(ap3, base.Tutor.Email, "2026-09-01", "2026-08-01", "28"),             // line 4: end before start
		row(ap1, base.Tutor.Email, "2026-09-01", "2028-08-31", `"28,5"`),         // line 5: apprentice twice
		row(base.Apprentice, base.Tutor.Email, "2026-09-01", "2028-08-31", "28"), // line 6: already has an active contract
		"nobody@example.test,a,b,c,d,e,f,g,h",                                    // line 7: unknown apprentice
		"too,few,fields",                                                         // line 8
		`a"b,c,d,e,f,g,h,i,j`,                                                    // line 9: bare quote
		row(ap3, base.Adviser.Email, "2026-09-01", "2028-08-31", "28"),           // line 10: tutor is an adviser, after the parse errors
		`"unclosed@example.test,x,y,z,w,v,u,t,s`,                                 // line 11: an unclosed quote runs to the end
		row(ap3, base.Tutor.Email, "2026-09-01", "2028-08-31", "28"),             // (inside line 11's quote)
	}, "\n") + "\n"
	dir := t.TempDir()
	badFile := filepath.Join(dir, "bad.csv")
	os.WriteFile(badFile, []byte(bad), 0o600)
	var out bytes.Buffer
	err := run(ctx, []string{"import", "contracts", badFile}, nil, &out)
	if err == nil {
		t.Fatal("a file with bad rows was imported")
	}
	msg := err.Error()
	for _, want := range []string{"9 bad rows", "line 3: tutor_email:", "line 4: end_date:", "line 5: apprentice_email:",
		"line 6: apprentice_email:", "line 7: apprentice_email:", "line 8:", "line 9:", "line 10: tutor_email:", "line 11:"} {
		if !strings.Contains(msg, want) {
			t.Errorf("report lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "line 2:") {
		t.Errorf("good line 2 reported:\n%s", msg)
	}
	var n int
	a.Pool.QueryRow(ctx, `SELECT count(*) FROM contracts`).Scan(&n)
	if n != 1 {
		t.Fatalf("%d contracts after a refused import; nothing should have been written", n)
	}

	good := strings.Join([]string{
		header,
		row(ap1, base.Tutor.Email, "2026-09-01", "2028-08-31", "28"),
		// The centre by name, the e-mail in another case, hours with a comma.
		strings.Join([]string{strings.ToUpper(ap2.Email), base.Tutor.Email, base.Adviser.Email, "0417497106", centre, strings.ToLower(trade), "2026-09-01", "2027-08-31", `"30,5"`}, ","),
	}, "\r\n") + "\r\n"
	goodFile := filepath.Join(dir, "good.csv")
	os.WriteFile(goodFile, []byte(good), 0o600)
	out.Reset()
	if err := run(ctx, []string{"import", "contracts", goodFile}, nil, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "imported 2 contracts") {
		t.Fatalf("output %q", out.String())
	}
	var hours float64
	a.Pool.QueryRow(ctx, `SELECT weekly_hours::float8 FROM contracts WHERE apprentice_id = $1 AND status = 'ACTIVE'`, ap2.ID).Scan(&hours)
	if hours != 30.5 {
		t.Fatalf("weekly hours %v", hours)
	}
	a.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'contract.created'`).Scan(&n)
	if n != 2 {
		t.Fatalf("want 2 audit rows, got %d", n)
	}
	// Importing the same file again: every row now conflicts, nothing changes.
	if err := run(ctx, []string{"import", "contracts", goodFile}, nil, &out); err == nil || !strings.Contains(err.Error(), "2 bad rows") {
		t.Fatalf("re-import: %v", err)
	}
}

// A database that a production process used refuses the demo accounts, even
// from a shell without JALON_ENV=production; another database takes them.
func TestSeedDemoRefusesAProductionDatabase(t *testing.T) {
	prod := testapp.New(t, testapp.Production)
	t.Setenv("JALON_ENV", "development")
	t.Setenv("DATABASE_URL", prod.DBURL)
	err := run(context.Background(), []string{"seed-demo"}, strings.NewReader(""), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "production's") {
		t.Fatalf("seed-demo into a production database: want a refusal, got %v", err)
	}
	var users int
	prod.Pool.QueryRow(context.Background(), `SELECT count(*) FROM users WHERE email LIKE '%@jalon.test'`).Scan(&users)
	if users != 0 {
		t.Fatalf("%d demo users loaded into a production database", users)
	}
	dev := testapp.New(t)
	t.Setenv("DATABASE_URL", dev.DBURL)
	if err := run(context.Background(), []string{"seed-demo"}, strings.NewReader(""), io.Discard); err != nil {
		t.Fatalf("seed-demo into a development database: %v", err)
	}
}

// `seed-demo --review-link` prints a working review-page link for each demo
// tutor, each page in its tutor's language.
func TestSeedDemoPrintsReviewLinks(t *testing.T) {
	dev := testapp.New(t)
	t.Setenv("JALON_ENV", "development")
	t.Setenv("DATABASE_URL", dev.DBURL)
	t.Setenv("JALON_PUBLIC_URL", dev.URL)
	var out strings.Builder
	if err := run(context.Background(), []string{"seed-demo", "--review-link"}, strings.NewReader(""), &out); err != nil {
		t.Fatal(err)
	}
	links := regexp.MustCompile(`(tuteur\.menuiserie|tutor\.schreinerei)@jalon\.test\s+(\S+/review/\S+)`).FindAllStringSubmatch(out.String(), -1)
	if len(links) != 2 {
		t.Fatalf("want two review links:\n%s", out.String())
	}
	for i, want := range []string{`<html lang="fr">`, `<html lang="nl">`} {
		res, err := http.Get(links[i][2])
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), want) || !strings.Contains(string(body), `name="csrf"`) {
			t.Fatalf("%s: %d\n%s", links[i][2], res.StatusCode, body)
		}
	}
}
