package logbook_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"jalon/internal/blobstore"
	"jalon/internal/logbook"
	"jalon/internal/testapp"
)

// The orphan sweep on either store: files younger than the grace period
// (uploads in flight) are never touched; older ones without a row go,
// attachments and keys that are not attachments' stay. Stores date files
// by the real clock (a bucket's LastModified cannot be set), so the sweep
// is run at real times ahead instead of ageing the files.
func TestSweepOrphanFiles(t *testing.T) {
	t.Parallel()
	testapp.EachStore(t, testSweep)
}

func testSweep(t *testing.T, a *testapp.TestApp) {
	ctx := context.Background()
	blobs := a.Blobs(t)
	c := a.NewContract(t)
	entry := a.NewLogEntry(t, c)
	put := func(key string) {
		t.Helper()
		if err := blobs.Put(ctx, key, bytes.NewReader([]byte("x")), 1); err != nil {
			t.Fatal(err)
		}
	}
	exists := func(key string) bool {
		t.Helper()
		f, err := blobs.Open(ctx, key)
		if errors.Is(err, blobstore.ErrNotFound) {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		return true
	}
	orphan := uuid.NewString()                                      // no row
	attached := a.NewAttachment(t, entry, []byte("photo")).String() // a row
	other := "not-an-attachment-key"                                // not a uuid: not the sweep's business
	for _, k := range []string{orphan, other} {
		put(k)
	}
	written := time.Now()

	// Half an hour later, every file is still within the grace period.
	res, err := a.Logbook.SweepOrphanFiles(ctx, written.Add(30*time.Minute), logbook.SweepGrace)
	if err != nil || res != (logbook.SweepResult{}) || !exists(orphan) {
		t.Fatalf("within the grace period: %+v %v, orphan kept %v", res, err, exists(orphan))
	}
	// Two hours later, the orphan goes, in one lookup of the two uuids.
	res, err = a.Logbook.SweepOrphanFiles(ctx, written.Add(2*time.Hour), logbook.SweepGrace)
	if err != nil || res != (logbook.SweepResult{Checked: 2, Removed: 1}) {
		t.Fatalf("after the grace period: %+v %v", res, err)
	}
	if exists(orphan) || !exists(attached) || !exists(other) {
		t.Fatalf("after sweep: orphan %v attached %v other %v", exists(orphan), exists(attached), exists(other))
	}

	// A draft deleted while the file delete failed leaves an orphan the
	// job (as River runs it, on the service's clock) collects.
	a.Exec(t, `DELETE FROM log_attachments WHERE id = $1`, attached)
	a.Clock.Set(written.Add(2 * time.Hour))
	w := &logbook.SweepWorker{Service: a.Logbook}
	if err := w.Work(ctx, &river.Job[logbook.SweepArgs]{}); err != nil {
		t.Fatal(err)
	}
	if exists(attached) || !exists(other) {
		t.Fatalf("after the row went: attached %v other %v", exists(attached), exists(other))
	}
}
