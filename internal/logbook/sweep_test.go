package logbook_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"jalon/internal/blobstore"
	"jalon/internal/logbook"
	"jalon/internal/testapp"
)

func TestSweepOrphanFiles(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	ctx := context.Background()
	blobs := a.Blobs(t)
	now := a.Clock.Now()
	c := a.NewContract(t)
	entry := a.NewLogEntry(t, c)

	// touch sets a blob's modification time relative to the manual clock.
	touch := func(key string, age time.Duration) {
		t.Helper()
		at := now.Add(-age)
		if err := os.Chtimes(filepath.Join(a.Config.BlobDir, key[:2], key), at, at); err != nil {
			t.Fatal(err)
		}
	}
	put := func(key string) {
		t.Helper()
		if _, err := blobs.Put(ctx, key, bytes.NewReader([]byte("x"))); err != nil {
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

	orphan := uuid.NewString() // no row, two hours old: removed
	put(orphan)
	touch(orphan, 2*time.Hour)
	fresh := uuid.NewString() // no row, ten minutes old (an upload in flight): kept
	put(fresh)
	touch(fresh, 10*time.Minute)
	attached := a.NewAttachment(t, entry, []byte("photo")).String() // row, a day old: kept
	touch(attached, 24*time.Hour)
	other := "not-an-attachment-key" // not a uuid, old: not the sweep's business
	put(other)
	touch(other, 48*time.Hour)

	res, err := a.Logbook.SweepOrphanFiles(ctx, now, logbook.SweepGrace)
	if err != nil {
		t.Fatal(err)
	}
	if res != (logbook.SweepResult{Checked: 2, Removed: 1}) {
		t.Fatalf("result: %+v", res)
	}
	if exists(orphan) || !exists(fresh) || !exists(attached) || !exists(other) {
		t.Fatalf("after sweep: orphan %v fresh %v attached %v other %v", exists(orphan), exists(fresh), exists(attached), exists(other))
	}

	// An hour later the fresh file is past the grace period; the job (as
	// River runs it, on the manual clock) removes it and keeps the attachment.
	a.Clock.Set(now.Add(time.Hour))
	w := &logbook.SweepWorker{Service: a.Logbook}
	if err := w.Work(ctx, &river.Job[logbook.SweepArgs]{}); err != nil {
		t.Fatal(err)
	}
	if exists(fresh) || !exists(attached) {
		t.Fatalf("second sweep: fresh %v attached %v", exists(fresh), exists(attached))
	}

	// A draft deleted while the file delete failed leaves an orphan the
	// sweep collects: simulate with a row deleted behind the store's back.
	a.Exec(t, `DELETE FROM log_attachments WHERE id = $1`, attached)
	res, err = a.Logbook.SweepOrphanFiles(ctx, a.Clock.Now(), logbook.SweepGrace)
	if err != nil || res.Removed != 1 || exists(attached) {
		t.Fatalf("after the row went: %+v %v, file still there: %v", res, err, exists(attached))
	}
}
