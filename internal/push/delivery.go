package push

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"jalon/internal/jobs"
	"jalon/internal/postgres"
	"jalon/internal/push/pushdb"
)

// DeliverArgs is the job that pushes one notification to its recipient's
// devices.
type DeliverArgs struct {
	NotificationID uuid.UUID `json:"notification_id"`
}

// Kind is the River job kind. It keeps the name it had when push was part of
// internal/notify: jobs already queued must still find their worker.
func (DeliverArgs) Kind() string { return "notify.deliver" }

// InsertOpts: push has its own queue so a burst of pushes does not hold back
// other jobs; a delivery is retried for about a day.
func (DeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueuePush, MaxAttempts: 12}
}

// DeliveryJob is the push delivery job of the new notification id for a
// recipient with prefs, to enqueue at now (when Preferences.Route says
// push): scheduled for the end of the quiet hours when now falls in them.
func DeliveryJob(prefs Preferences, id uuid.UUID, now time.Time) river.InsertManyParams {
	return river.InsertManyParams{Args: DeliverArgs{NotificationID: id}, InsertOpts: Scheduled(prefs, now)}
}

// Scheduled returns the insert options of a delivery job (push or mail)
// enqueued at now for a recipient with prefs: scheduled for the end of the
// quiet hours when now falls in them.
func Scheduled(prefs Preferences, now time.Time) *river.InsertOpts {
	opts := &river.InsertOpts{}
	if until, quiet := prefs.QuietUntil(now); quiet {
		opts.ScheduledAt = until
	}
	return opts
}

// DeliveryWorker works DeliverArgs.
type DeliveryWorker struct {
	river.WorkerDefaults[DeliverArgs]
	Service *Service
}

// Timeout bounds one delivery (several FCM calls).
func (w *DeliveryWorker) Timeout(*river.Job[DeliverArgs]) time.Duration { return 2 * time.Minute }

// notification is what a push shows of a stored notification.
type notification struct {
	ID                      uuid.UUID
	Kind, Title, Body, Link string
}

type target struct {
	id       uuid.UUID
	token    string
	platform Platform
}

// Work pushes the notification to every device of its recipient that has not
// received it yet. Quiet hours snooze the job until they end; muted kinds
// and kinds the recipient no longer wants pushed (Preferences.Route) are
// skipped. Tokens FCM reports unregistered or invalid are deleted. 429
// and 5xx answers leave the device for a retry: the job is snoozed for the
// Retry-After the server asked for, or fails for River's back-off. Each
// device served is recorded, so a retry never pushes twice to a device.
func (w *DeliveryWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	s := w.Service
	if !s.Enabled() {
		return nil
	}
	q := s.q()
	d, err := q.Delivery(ctx, job.Args.NotificationID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // gone (user erased): nothing to push
	}
	if err != nil {
		return fmt.Errorf("deliver: load notification: %w", err)
	}
	prefs := Stored(d.QuietHoursStart, d.QuietHoursEnd, d.Timezone, d.MutedKinds, d.Channels, d.Digest)
	if !prefs.Route(d.Kind, true).Push {
		return nil
	}
	now := s.Clock.Now()
	if now.Sub(d.CreatedAt) > TTL {
		return nil // stale (snoozed by quotas for a day): the inbox has it
	}
	if until, quiet := prefs.QuietUntil(now); quiet {
		return river.JobSnooze(until.Sub(now))
	}
	rows, err := q.DeliveryTargets(ctx, pushdb.DeliveryTargetsParams{UserID: d.UserID, NotificationID: d.ID})
	if err != nil {
		return fmt.Errorf("deliver: devices: %w", err)
	}
	if len(rows) == 0 {
		return nil
	}
	targets := make([]target, len(rows))
	for i, r := range rows {
		targets[i] = target{id: r.ID, token: r.Token, platform: Platform(r.Platform)}
	}
	n := notification{ID: d.ID, Kind: d.Kind, Title: d.Title, Body: d.Body, Link: d.Link}
	res := s.FCM.send(ctx, n, now, targets)
	if err := w.record(ctx, n.ID, now, res); err != nil {
		return err
	}
	if res.transient > 0 {
		if res.retryAfter > 0 {
			return river.JobSnooze(res.retryAfter)
		}
		return fmt.Errorf("deliver: %d of %d devices failed transiently: %w", res.transient, len(targets), res.lastErr)
	}
	return nil
}

// record saves which devices got the push and deletes the dead tokens.
func (w *DeliveryWorker) record(ctx context.Context, notificationID uuid.UUID, now time.Time, res sendResult) error {
	s := w.Service
	return postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		q := pushdb.New(tx)
		if len(res.delivered) > 0 {
			err := q.RecordDeliveries(ctx, pushdb.RecordDeliveriesParams{NotificationID: notificationID, Now: now, DeviceIds: res.delivered})
			if err != nil {
				return fmt.Errorf("deliver: record: %w", err)
			}
		}
		if len(res.invalid) > 0 {
			if err := q.DeleteDevices(ctx, res.invalid); err != nil {
				return fmt.Errorf("deliver: prune tokens: %w", err)
			}
			s.Log.Info().Ctx(ctx).Int("devices", len(res.invalid)).Msg("push: removed devices whose token FCM rejected")
		}
		return nil
	})
}
