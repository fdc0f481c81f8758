package loadcompare_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"jalon/internal/benchdata"
	"jalon/internal/loadcompare"
	"jalon/internal/testdb"
)

func TestMain(m *testing.M) {
	// The tool starts this test binary again as each of its servers.
	loadcompare.MaybeChild()
	testdb.Main(m)
}

// The tool runs end to end on a small data set: both servers start, give
// the same answers (pages, refusals, a revoked session), and a table with
// a row per server, screen and connection count comes out. Figures are
// not asserted (no timed test), but the hand-written server's statement
// count is: it proves the counting works.
func TestRunComparesBothServers(t *testing.T) {
	t.Parallel()
	_, dbURL := testdb.NewWithURL(t)
	var out, log bytes.Buffer
	res, err := loadcompare.Run(context.Background(), loadcompare.Options{
		DatabaseURL: dbURL,
		Size:        benchdata.Size{Tutors: 2, ApprenticesPerTutor: 3, EntriesPerContract: 30},
		Conns:       []int{2},
		Round:       time.Second,
		Rounds:      1,
		Warmup:      200 * time.Millisecond,
		DBConns:     4,
		Out:         &out,
		Log:         &log,
	})
	if err != nil {
		t.Fatalf("%v\nlog:\n%s", err, log.String())
	}
	// 6 pages, 2 waiting lists, then the refusals, a tutor's read and the
	// revoked session.
	if res.Compared < 6+2+6 {
		t.Errorf("compared %d answers", res.Compared)
	}
	if len(res.Rows) != 2 {
		t.Fatalf("rows: %+v", res.Rows)
	}
	for _, r := range res.Rows {
		for name, s := range map[string]loadcompare.Summary{"Jalon": r.Jalon, "hand-written": r.Hand} {
			if s.ReqPerSec <= 0 || s.Errors != 0 || s.Statements <= 0 || s.RSS <= 0 || len(s.PerRound) != 1 {
				t.Errorf("%s, %s: %+v", r.Screen.Title(), name, s)
			}
		}
		if r.Hand.Statements != 3 {
			t.Errorf("%s: the hand-written server ran %.2f statements a request, want 3", r.Screen.Title(), r.Hand.Statements)
		}
	}
	table := out.String()
	for _, want := range []string{
		"| apprentice page | 2 | Jalon |", "| apprentice page | 2 | hand-written |", "| apprentice page | 2 | **Jalon / hand-written** |",
		"| tutor waiting list | 2 | Jalon |", "| tutor waiting list | 2 | hand-written |", "| tutor waiting list | 2 | **Jalon / hand-written** |",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("no row %q in\n%s", want, table)
		}
	}
	t.Logf("\n%s", table)
}
