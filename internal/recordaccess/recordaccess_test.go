package recordaccess_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"jalon/internal/auth"
	"jalon/internal/config"
	"jalon/internal/privacy"
	"jalon/internal/testapp"
	"jalon/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

const (
	logBookQuery     = `query($c: ID) { logEntries(contractId: $c) { totalCount nodes { id } } }`
	visitsQuery      = `{ visits(first: 50) { nodes { id } } }`
	evaluationsQuery = `query($c: ID!) { evaluations(contractId: $c) { nodes { id } } }`
	mineQuery        = `query($n: Int, $after: String) { myRecordAccess(first: $n, after: $after) { totalCount
		pageInfo { hasNextPage endCursor } nodes { readerName readerRole record day firstReadAt } } }`
)

type access struct {
	ReaderName, ReaderRole, Record, Day string
	FirstReadAt                         time.Time
}

type mine struct {
	MyRecordAccess struct {
		TotalCount int
		PageInfo   struct {
			HasNextPage bool
			EndCursor   string
		}
		Nodes []access
	}
}

func read(t *testing.T, a *testapp.TestApp, tok, q string, vars map[string]any) {
	t.Helper()
	a.Query(t, tok, q, vars).Decode(t, &struct{}{})
}

func myAccess(t *testing.T, a *testapp.TestApp, apprentice testapp.User, vars map[string]any) mine {
	t.Helper()
	var d mine
	a.Query(t, a.Token(t, apprentice), mineQuery, vars).Decode(t, &d)
	return d
}

// Every read of an apprentice's log book, evaluations or visits by someone
// else is recorded once per reader, part and day; the apprentice lists them,
// newest first; their own reads are not recorded.
func TestWhoReadMyRecord(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	a.NewLogEntry(t, c, testapp.LogEntryOpts{Status: "SUBMITTED"})
	entry := a.NewLogEntry(t, c, testapp.LogEntryOpts{Status: "DRAFT", Date: testapp.Start.AddDate(0, 0, -2)})
	a.NewVisit(t, c)
	a.NewEvaluation(t, c)
	guardian := a.NewGuardian(t, c.Apprentice)
	admin := a.NewUser(t, auth.Admin)
	vars := map[string]any{"c": c.ID}

	tutor := a.Token(t, c.Tutor)
	for range 3 {
		read(t, a, tutor, logBookQuery, vars)
	}
	read(t, a, tutor, visitsQuery, nil)
	read(t, a, tutor, evaluationsQuery, vars)
	a.Clock.Advance(time.Minute)
	read(t, a, a.Token(t, admin), `query($id: ID!) { logEntry(id: $id) { id } }`, map[string]any{"id": entry})
	a.Clock.Advance(time.Minute)
	read(t, a, a.Token(t, guardian), `query($c: ID!) { contract(id: $c) { visits { nodes { id } } nextVisit { id } } }`, vars)
	a.Clock.Advance(time.Minute)
	read(t, a, a.Token(t, c.Adviser), `query($c: ID!) { contract(id: $c) { logEntries { nodes { id } } } }`, vars)
	// The apprentice's own reads are not recorded.
	read(t, a, a.Token(t, c.Apprentice), logBookQuery, vars)
	read(t, a, a.Token(t, c.Apprentice), visitsQuery, nil)

	got := myAccess(t, a, c.Apprentice, nil).MyRecordAccess
	want := []string{"Test ADVISER ADVISER LOG_BOOK", "Test GUARDIAN GUARDIAN VISITS", "Test ADMIN ADMIN LOG_BOOK"}
	if got.TotalCount != 6 || len(got.Nodes) != 6 {
		t.Fatalf("record access %+v", got)
	}
	for i, w := range want {
		n := got.Nodes[i]
		if n.ReaderName+" "+n.ReaderRole+" "+n.Record != w || n.Day != "2026-03-18" {
			t.Fatalf("row %d: %+v, want %s", i, n, w)
		}
	}
	tutorRows := map[string]bool{}
	for _, n := range got.Nodes[3:] {
		if n.ReaderRole != "TUTOR" || !n.FirstReadAt.Equal(testapp.Start) {
			t.Fatalf("tutor row %+v", n)
		}
		tutorRows[n.Record] = true
	}
	if len(tutorRows) != 3 {
		t.Fatalf("tutor rows %+v", got.Nodes[3:])
	}

	// Another day, another row; the first read of the day stays the time.
	a.Clock.Set(testapp.Start.Add(24 * time.Hour))
	tutor = a.Token(t, c.Tutor) // tokens live 15 minutes
	read(t, a, tutor, logBookQuery, vars)
	a.Clock.Advance(10 * time.Minute)
	read(t, a, tutor, logBookQuery, vars)
	got = myAccess(t, a, c.Apprentice, map[string]any{"n": 2}).MyRecordAccess
	if got.TotalCount != 7 || len(got.Nodes) != 2 || !got.PageInfo.HasNextPage ||
		got.Nodes[0].Day != "2026-03-19" || !got.Nodes[0].FirstReadAt.Equal(testapp.Start.Add(24*time.Hour)) {
		t.Fatalf("next day %+v", got)
	}
	next := myAccess(t, a, c.Apprentice, map[string]any{"n": 10, "after": got.PageInfo.EndCursor}).MyRecordAccess
	if len(next.Nodes) != 5 || next.PageInfo.HasNextPage || next.Nodes[0].ReaderRole != "GUARDIAN" {
		t.Fatalf("second page %+v", next)
	}

	// One row per reader, part and day in the table, whatever the number of
	// reads and of server processes.
	other := testapp.NewOn(t, a.Pool, a.DBURL)
	other.Clock.Set(testapp.Start.Add(25 * time.Hour))
	read(t, other, other.Token(t, c.Tutor), logBookQuery, vars)
	var n int
	a.Pool.QueryRow(context.Background(), `SELECT count(*) FROM record_access WHERE reader_id = $1 AND kind = 'LOG_BOOK'`, c.Tutor.ID).Scan(&n)
	if n != 2 {
		t.Fatalf("%d rows for the tutor's log-book reads on two days", n)
	}

	// Nobody else's record shows.
	if got := myAccess(t, a, a.NewContract(t).Apprentice, nil).MyRecordAccess; got.TotalCount != 0 {
		t.Fatalf("another apprentice sees %+v", got)
	}
	for _, u := range []testapp.User{c.Tutor, c.Adviser, admin, guardian} {
		a.Query(t, a.Token(t, u), mineQuery, nil).RequireCode(t, "FORBIDDEN")
	}
}

// The record costs one statement on the first read of a day by a reader of
// a contract's record, none on the day's later reads.
func TestRecordingCostsOneStatementADay(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	for i := range 5 {
		a.NewLogEntry(t, c, testapp.LogEntryOpts{Status: "SUBMITTED", Date: testapp.Start.AddDate(0, 0, -1-i)})
	}
	b := a.Counted(t)
	tok := b.Token(t, c.Tutor)
	cost := func() int64 {
		r, used := b.QueryCounted(t, tok, logBookQuery, map[string]any{"c": c.ID})
		r.Decode(t, &struct{}{})
		return used
	}
	first, second, third := cost(), cost(), cost()
	t.Logf("statements: first read %d, then %d, %d", first, second, third)
	if first != second+1 || second != third {
		t.Fatalf("first read %d statements, then %d and %d", first, second, third)
	}
	b.Clock.Set(testapp.Start.Add(24 * time.Hour))
	tok = b.Token(t, c.Tutor) // tokens live 15 minutes
	if next := cost(); next != second+1 {
		t.Fatalf("first read of the next day: %d statements, want %d", next, second+1)
	}
	// The apprentice's own reads are free.
	ap := b.Token(t, c.Apprentice)
	r, own := b.QueryCounted(t, ap, logBookQuery, map[string]any{"c": c.ID})
	r.Decode(t, &struct{}{})
	if own != second {
		t.Fatalf("the apprentice's read: %d statements, want %d", own, second)
	}
}

// The record is exported (both sides), shows an erased reader's pseudonym,
// and is pruned with the audit log.
func TestRecordAccessPrivacy(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	admin := a.NewUser(t, auth.Admin)
	read(t, a, a.Token(t, c.Tutor), logBookQuery, map[string]any{"c": c.ID})

	doc, _ := a.Export(t, a.Token(t, c.Apprentice))
	rows, _ := doc["recordAccess"].([]any)
	if len(rows) != 1 || rows[0].(map[string]any)["kind"] != "LOG_BOOK" || rows[0].(map[string]any)["readerRole"] != "TUTOR" {
		t.Fatalf("apprentice's export: %v", doc["recordAccess"])
	}
	doc, _ = a.Export(t, a.Token(t, c.Tutor))
	reads, _ := doc["recordsRead"].([]any)
	if len(reads) != 1 || reads[0].(map[string]any)["apprenticeId"] != c.Apprentice.ID.String() {
		t.Fatalf("tutor's export: %v", doc["recordsRead"])
	}

	a.Query(t, a.Token(t, admin), `mutation($id: ID!) { eraseUser(id: $id) { id } }`, map[string]any{"id": c.Tutor.ID}).Decode(t, &struct{}{})
	first, last := privacy.Pseudonym(c.Tutor.ID)
	got := myAccess(t, a, c.Apprentice, nil).MyRecordAccess
	if len(got.Nodes) != 1 || got.Nodes[0].ReaderName != first+" "+last || got.Nodes[0].ReaderRole != "TUTOR" {
		t.Fatalf("after erasing the reader: %+v", got)
	}
	_, raw := a.Export(t, a.Token(t, c.Apprentice))
	if strings.Contains(raw, `"lastName":"TUTOR"`) {
		t.Fatal("the export keeps the erased reader's name")
	}

	// Retention: kept as long as the audit log.
	a.Clock.Set(testapp.Start.AddDate(0, 0, 31))
	res, err := a.Privacy.ApplyRetention(context.Background(), config.RetentionConfig{AuditDays: 30})
	if err != nil || res.RecordAccess != 1 {
		t.Fatalf("retention: %+v %v", res, err)
	}
	if got := myAccess(t, a, c.Apprentice, nil).MyRecordAccess; got.TotalCount != 0 {
		t.Fatalf("after retention: %+v", got)
	}
}
