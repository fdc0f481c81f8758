package privacy

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"jalon/internal/clock"
	"jalon/internal/config"
	"jalon/internal/jobs"
	"jalon/internal/postgres"
	"jalon/internal/privacy/privacydb"
)

// RetentionResult counts what one retention run removed.
type RetentionResult struct {
	Notifications int64 // read notifications deleted
	AuditEntries  int64 // audit entries pruned
	RecordAccess  int64 // record access rows pruned (with the audit log)
	ReviewLinks   int64 // review links deleted, long expired or revoked
	Erased        int   // apprentices erased after their contracts ended
}

// eraseBatch is how many apprentices one query of the retention run picks;
// each is erased in its own transaction.
const eraseBatch = 100

// deleteBatch is how many read notifications one statement deletes.
const deleteBatch = 5000

// ApplyRetention applies the retention periods of p at the clock's now (0
// days = keep forever):
//
//   - read notifications created more than p.NotificationsDays ago are
//     deleted (unread ones stay until read);
//   - audit entries older than p.AuditDays are pruned through the
//     audit_log_prune SQL function (the only DELETE the append-only trigger
//     lets through), and so are the record access rows of days before then;
//   - review links that expired or were revoked more than
//     p.ReviewLinksDays ago are deleted;
//   - apprentices whose contracts have all ENDED or been TERMINATED, the
//     latest end date more than p.EndedContractsDays ago, are erased exactly
//     as eraseUser does (audited with no actor).
func (s *Service) ApplyRetention(ctx context.Context, p config.RetentionConfig) (RetentionResult, error) {
	var res RetentionResult
	now := s.Clock.Now()
	q := privacydb.New(s.DB)
	if p.NotificationsDays > 0 {
		// A few thousand rows per statement, so no single transaction
		// holds locks on a whole backlog.
		for {
			n, err := q.DeleteReadNotifications(ctx, privacydb.DeleteReadNotificationsParams{
				Before: now.AddDate(0, 0, -p.NotificationsDays), MaxRows: deleteBatch})
			if err != nil {
				return res, fmt.Errorf("retention: notifications: %w", err)
			}
			res.Notifications += n
			if n < deleteBatch {
				break
			}
		}
	}
	if p.AuditDays > 0 {
		n, err := q.PruneAuditLog(ctx, now.AddDate(0, 0, -p.AuditDays))
		if err != nil {
			return res, fmt.Errorf("retention: audit log: %w", err)
		}
		res.AuditEntries = n
		if res.RecordAccess, err = q.PruneRecordAccess(ctx, clock.Today(now).AddDate(0, 0, -p.AuditDays)); err != nil {
			return res, fmt.Errorf("retention: record access: %w", err)
		}
	}
	if p.ReviewLinksDays > 0 {
		n, err := q.DeleteDeadReviewLinks(ctx, now.AddDate(0, 0, -p.ReviewLinksDays))
		if err != nil {
			return res, fmt.Errorf("retention: review links: %w", err)
		}
		res.ReviewLinks = n
	}
	if p.EndedContractsDays > 0 {
		cutoff := clock.Today(now).AddDate(0, 0, -p.EndedContractsDays)
		for {
			ids, err := q.ApprenticesToErase(ctx, privacydb.ApprenticesToEraseParams{Cutoff: cutoff, MaxRows: eraseBatch})
			if err != nil {
				return res, fmt.Errorf("retention: ended contracts: %w", err)
			}
			for _, id := range ids {
				var keys []uuid.UUID
				err := postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
					var err error
					keys, err = erase(ctx, tx, nil, id, now)
					return err
				})
				if err != nil {
					return res, err
				}
				deleteBlobs(ctx, s.Blobs, keys, s.Log)
				res.Erased++
			}
			if len(ids) < eraseBatch {
				break
			}
		}
	}
	return res, nil
}

// RetentionArgs is the periodic job that runs ApplyRetention.
type RetentionArgs struct{}

// Kind is the River job kind.
func (RetentionArgs) Kind() string { return "privacy.retention" }

// InsertOpts: one waiting or running retention run at a time is enough.
func (RetentionArgs) InsertOpts() river.InsertOpts {
	return jobs.Singleton()
}

// RetentionWorker works RetentionArgs.
type RetentionWorker struct {
	river.WorkerDefaults[RetentionArgs]
	Service *Service
	Policy  config.RetentionConfig
}

// Work runs one retention pass.
func (w *RetentionWorker) Work(ctx context.Context, job *river.Job[RetentionArgs]) error {
	start := time.Now()
	res, err := w.Service.ApplyRetention(ctx, w.Policy)
	if err != nil {
		return err
	}
	w.Service.Log.Info().Ctx(ctx).Int64("notifications", res.Notifications).Int64("auditEntries", res.AuditEntries).
		Int64("recordAccess", res.RecordAccess).Int64("reviewLinks", res.ReviewLinks).
		Int("erased", res.Erased).Dur("took", time.Since(start)).Msg("retention")
	return nil
}
