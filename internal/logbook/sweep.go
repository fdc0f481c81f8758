package logbook

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"jalon/internal/blobstore"
	"jalon/internal/jobs"
)

// Orphan files: an attachment's file is written before its row commits, and
// removed best-effort after a draft's deletion (or a user's erasure) commits,
// so a crash or a failed delete can leave a file no log_attachments row
// points to. The sweep removes those files once they are older than
// SweepGrace, so an upload still in flight is never touched.
const (
	// SweepGrace is how old a file with no row must be before it is removed.
	SweepGrace = time.Hour
	// sweepBatch is how many files one lookup query checks.
	sweepBatch = 1000
)

// SweepResult counts what one sweep saw and removed.
type SweepResult struct {
	Checked int // files older than the grace period, looked up
	Removed int // of those, files with no row, deleted
}

// SweepOrphanFiles deletes the blobs older than now-grace that have no
// log_attachments row. The store is walked once; the old files are looked up
// sweepBatch at a time, one query per batch. Keys that are not uuids are not
// attachments and are left alone.
func (s *Service) SweepOrphanFiles(ctx context.Context, now time.Time, grace time.Duration) (SweepResult, error) {
	var res SweepResult
	cutoff := now.Add(-grace)
	batch := make([]uuid.UUID, 0, sweepBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		found, err := q(s.DB).ExistingAttachments(ctx, batch)
		if err != nil {
			return fmt.Errorf("sweep files: %w", err)
		}
		keep := make(map[uuid.UUID]bool, len(found))
		for _, id := range found {
			keep[id] = true
		}
		res.Checked += len(batch)
		for _, id := range batch {
			if keep[id] {
				continue
			}
			if err := s.Blobs.Delete(ctx, id.String()); err != nil {
				return fmt.Errorf("sweep files: %w", err)
			}
			res.Removed++
		}
		batch = batch[:0]
		return nil
	}
	err := s.Blobs.Walk(ctx, func(b blobstore.Blob) error {
		if !b.ModTime.Before(cutoff) {
			return nil
		}
		id, err := uuid.Parse(b.Key)
		if err != nil || id.String() != b.Key {
			return nil
		}
		batch = append(batch, id)
		if len(batch) == sweepBatch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	return res, flush()
}

// SweepArgs is the periodic job that runs SweepOrphanFiles, every
// JALON_LOGBOOK_SWEEP_INTERVAL.
type SweepArgs struct{}

// Kind is the River job kind.
func (SweepArgs) Kind() string { return "logbook.sweep_files" }

// InsertOpts: one waiting or running sweep at a time is enough.
func (SweepArgs) InsertOpts() river.InsertOpts { return jobs.Singleton() }

// SweepWorker works SweepArgs.
type SweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	Service *Service
}

// Work runs one sweep.
func (w *SweepWorker) Work(ctx context.Context, job *river.Job[SweepArgs]) error {
	start := time.Now()
	s := w.Service
	res, err := s.SweepOrphanFiles(ctx, s.Clock.Now(), SweepGrace)
	if err != nil {
		return err
	}
	s.Log.Info().Ctx(ctx).Int("checked", res.Checked).Int("removed", res.Removed).Dur("took", time.Since(start)).Msg("orphan files swept")
	return nil
}
