package privacy

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"jalon/internal/blobstore"
	"jalon/internal/clock"
	"jalon/internal/config"
	"jalon/internal/jobs"
	"jalon/internal/postgres"
)

// RetentionResult counts what one retention run removed.
type RetentionResult struct {
	Notifications int64 // read notifications deleted
	AuditEntries  int64 // audit entries pruned
	Erased        int   // apprentices erased after their contracts ended
}

// eraseBatch is how many apprentices one query of the retention run picks;
// each is erased in its own transaction.
const eraseBatch = 100

// deleteBatch is how many read notifications one statement deletes.
const deleteBatch = 5000

// ApplyRetention applies the retention periods of p at now (0 days = keep
// forever):
//
//   - read notifications created more than p.NotificationsDays ago are
//     deleted (unread ones stay until read);
//   - audit entries older than p.AuditDays are pruned through the
//     audit_log_prune SQL function (the only DELETE the append-only trigger
//     lets through);
//   - apprentices whose contracts have all ENDED or been TERMINATED, the
//     latest end date more than p.EndedContractsDays ago, are erased exactly
//     as eraseUser does (audited with no actor).
func ApplyRetention(ctx context.Context, db *pgxpool.Pool, blobs blobstore.Store, log zerolog.Logger, p config.RetentionConfig, now time.Time) (RetentionResult, error) {
	var res RetentionResult
	if p.NotificationsDays > 0 {
		// A few thousand rows per statement, so no single transaction
		// holds locks on a whole backlog.
		for {
			tag, err := db.Exec(ctx, `DELETE FROM notifications WHERE id IN (
					SELECT id FROM notifications WHERE read_at IS NOT NULL AND created_at < $1 LIMIT $2)`,
				now.AddDate(0, 0, -p.NotificationsDays), deleteBatch)
			if err != nil {
				return res, fmt.Errorf("retention: notifications: %w", err)
			}
			res.Notifications += tag.RowsAffected()
			if tag.RowsAffected() < deleteBatch {
				break
			}
		}
	}
	if p.AuditDays > 0 {
		if err := db.QueryRow(ctx, `SELECT audit_log_prune($1)`, now.AddDate(0, 0, -p.AuditDays)).Scan(&res.AuditEntries); err != nil {
			return res, fmt.Errorf("retention: audit log: %w", err)
		}
	}
	if p.EndedContractsDays > 0 {
		cutoff := clock.Today(now).AddDate(0, 0, -p.EndedContractsDays)
		for {
			rows, err := db.Query(ctx, `
				SELECT u.id FROM users u
				WHERE u.role = 'APPRENTICE' AND u.erased_at IS NULL
				  AND EXISTS (SELECT 1 FROM contracts c WHERE c.apprentice_id = u.id)
				  AND NOT EXISTS (SELECT 1 FROM contracts c WHERE c.apprentice_id = u.id
				                  AND (c.status NOT IN ('ENDED', 'TERMINATED') OR c.end_date >= $1))
				ORDER BY u.id LIMIT $2`, cutoff, eraseBatch)
			if err != nil {
				return res, fmt.Errorf("retention: ended contracts: %w", err)
			}
			ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
			if err != nil {
				return res, fmt.Errorf("retention: ended contracts: %w", err)
			}
			for _, id := range ids {
				var keys []uuid.UUID
				err := postgres.InTx(ctx, db, func(tx pgx.Tx) error {
					var err error
					keys, err = erase(ctx, tx, nil, id, now)
					return err
				})
				if err != nil {
					return res, err
				}
				deleteBlobs(ctx, blobs, keys, log)
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
	DB     *pgxpool.Pool
	Clock  clock.Clock
	Blobs  blobstore.Store
	Log    zerolog.Logger
	Policy config.RetentionConfig
}

// Work runs one retention pass.
func (w *RetentionWorker) Work(ctx context.Context, job *river.Job[RetentionArgs]) error {
	start := time.Now()
	res, err := ApplyRetention(ctx, w.DB, w.Blobs, w.Log, w.Policy, w.Clock.Now())
	if err != nil {
		return err
	}
	w.Log.Info().Int64("notifications", res.Notifications).Int64("auditEntries", res.AuditEntries).
		Int("erased", res.Erased).Dur("took", time.Since(start)).Msg("retention")
	return nil
}
