package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	firebase "firebase.google.com/go/v4"
	"firebase.google.com/go/v4/errorutils"
	"firebase.google.com/go/v4/messaging"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/rs/zerolog"
	"google.golang.org/api/option"

	"jalon/internal/clock"
	"jalon/internal/config"
	"jalon/internal/jobs"
	"jalon/internal/postgres"
)

// PushTTL is how long FCM keeps a push for a device that is offline.
const PushTTL = 24 * time.Hour

// sendTimeout bounds one call to FCM (the SDK waits forever otherwise).
const sendTimeout = 30 * time.Second

// Pusher sends push messages through Firebase Cloud Messaging. A nil
// *Pusher, or one built without credentials, is disabled: delivery jobs
// complete without sending.
type Pusher struct {
	client *messaging.Client
}

// NewPusher connects to FCM with cfg.CredentialsFile. Without credentials
// and without extra client options (tests pointing at a fake server), push
// is disabled and the returned Pusher says so; the caller logs it once.
func NewPusher(ctx context.Context, cfg config.FirebaseConfig, extra ...option.ClientOption) (*Pusher, error) {
	var opts []option.ClientOption
	if cfg.CredentialsFile != "" {
		opts = append(opts, option.WithCredentialsFile(cfg.CredentialsFile))
		if cfg.Endpoint != "" {
			opts = append(opts, option.WithEndpoint(cfg.Endpoint))
		}
	}
	opts = append(opts, extra...)
	if len(opts) == 0 {
		return &Pusher{}, nil
	}
	app, err := firebase.NewApp(ctx, &firebase.Config{ProjectID: cfg.ProjectID}, opts...)
	if err != nil {
		return nil, fmt.Errorf("FIREBASE_CREDENTIALS_FILE: %w", err)
	}
	client, err := app.Messaging(ctx)
	if err != nil {
		return nil, fmt.Errorf("FIREBASE_CREDENTIALS_FILE: messaging: %w", err)
	}
	return &Pusher{client: client}, nil
}

// Enabled reports whether push is configured.
func (p *Pusher) Enabled() bool { return p != nil && p.client != nil }

// DeliverArgs is the job that pushes one notification to its recipient's
// devices.
type DeliverArgs struct {
	NotificationID uuid.UUID `json:"notification_id"`
}

// Kind is the River job kind.
func (DeliverArgs) Kind() string { return "notify.deliver" }

// InsertOpts: push has its own queue so a burst of pushes does not hold back
// other jobs; a delivery is retried for about a day.
func (DeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueuePush, MaxAttempts: 12}
}

// DeliveryWorker works DeliverArgs.
type DeliveryWorker struct {
	river.WorkerDefaults[DeliverArgs]
	DB    *pgxpool.Pool
	Clock clock.Clock
	Push  *Pusher
	Log   zerolog.Logger
}

// Timeout bounds one delivery (several FCM calls).
func (w *DeliveryWorker) Timeout(*river.Job[DeliverArgs]) time.Duration { return 2 * time.Minute }

type target struct {
	id       uuid.UUID
	token    string
	platform Platform
}

// Work pushes the notification to every device of its recipient that has not
// received it yet. Quiet hours snooze the job until they end; muted kinds
// are skipped. Tokens FCM reports unregistered or invalid are deleted. 429
// and 5xx answers leave the device for a retry: the job is snoozed for the
// Retry-After the server asked for, or fails for River's back-off. Each
// device served is recorded, so a retry never pushes twice to a device.
func (w *DeliveryWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	if !w.Push.Enabled() {
		return nil
	}
	var n Notification
	var prefs Preferences
	var start, end pgtype.Time
	err := w.DB.QueryRow(ctx, `SELECT `+columns+`, `+prefsColumns+`
		FROM notifications n LEFT JOIN notification_preferences p ON p.user_id = n.user_id
		WHERE n.id = $1`, job.Args.NotificationID).
		Scan(&n.ID, &n.UserID, &n.Kind, &n.Title, &n.Body, &n.Link, &n.CreatedAt, &n.ReadAt,
			&start, &end, &prefs.Timezone, &prefs.MutedKinds)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // gone (user erased): nothing to push
	}
	if err != nil {
		return fmt.Errorf("deliver: load notification: %w", err)
	}
	prefs.QuietHoursStart, prefs.QuietHoursEnd = clockOf(start), clockOf(end)
	if prefs.Muted(n.Kind) {
		return nil
	}
	now := w.Clock.Now()
	if now.Sub(n.CreatedAt) > PushTTL {
		return nil // stale (snoozed by quotas for a day): the inbox has it
	}
	if until, quiet := prefs.QuietUntil(now); quiet {
		return river.JobSnooze(until.Sub(now))
	}
	// A deactivated (or erased) user's phones get nothing: the account is closed.
	rows, err := w.DB.Query(ctx, `SELECT d.id, d.token, d.platform FROM devices d
		JOIN users u ON u.id = d.user_id AND u.active
		WHERE d.user_id = $1
		  AND NOT EXISTS (SELECT 1 FROM notification_deliveries nd WHERE nd.notification_id = $2 AND nd.device_id = d.id)
		ORDER BY d.id`, n.UserID, n.ID)
	if err != nil {
		return fmt.Errorf("deliver: devices: %w", err)
	}
	targets, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (target, error) {
		var t target
		return t, r.Scan(&t.id, &t.token, &t.platform)
	})
	if err != nil {
		return fmt.Errorf("deliver: devices: %w", err)
	}
	if len(targets) == 0 {
		return nil
	}
	res := w.Push.send(ctx, n, now, targets)
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

type sendResult struct {
	delivered  []uuid.UUID
	invalid    []uuid.UUID
	transient  int
	retryAfter time.Duration
	lastErr    error
}

// record saves which devices got the push and deletes the dead tokens.
func (w *DeliveryWorker) record(ctx context.Context, notificationID uuid.UUID, now time.Time, res sendResult) error {
	return postgres.InTx(ctx, w.DB, func(tx pgx.Tx) error {
		if len(res.delivered) > 0 {
			_, err := tx.Exec(ctx, `INSERT INTO notification_deliveries (notification_id, device_id, delivered_at)
				SELECT $1, d, $3 FROM unnest($2::uuid[]) d
				WHERE EXISTS (SELECT 1 FROM devices WHERE id = d)
				ON CONFLICT DO NOTHING`, notificationID, res.delivered, now)
			if err != nil {
				return fmt.Errorf("deliver: record: %w", err)
			}
		}
		if len(res.invalid) > 0 {
			if _, err := tx.Exec(ctx, `DELETE FROM devices WHERE id = ANY($1::uuid[])`, res.invalid); err != nil {
				return fmt.Errorf("deliver: prune tokens: %w", err)
			}
			w.Log.Info().Int("devices", len(res.invalid)).Msg("push: removed devices whose token FCM rejected")
		}
		return nil
	})
}

// maxPerCall is FCM's limit of messages per SendEach call.
const maxPerCall = 500

func (p *Pusher) send(ctx context.Context, n Notification, now time.Time, targets []target) sendResult {
	var res sendResult
	for start := 0; start < len(targets); start += maxPerCall {
		chunk := targets[start:min(start+maxPerCall, len(targets))]
		msg := message(n, now, chunk)
		callCtx, cancel := context.WithTimeout(ctx, sendTimeout)
		br, err := p.client.SendEachForMulticast(callCtx, msg)
		cancel()
		if err != nil { // the whole call failed (invalid message, context)
			res.transient += len(chunk)
			res.lastErr = err
			continue
		}
		for i, r := range br.Responses {
			d := chunk[i]
			switch {
			case r.Success:
				res.delivered = append(res.delivered, d.id)
			case messaging.IsUnregistered(r.Error), messaging.IsInvalidArgument(r.Error):
				res.invalid = append(res.invalid, d.id)
			default:
				res.transient++
				res.lastErr = r.Error
				if ra := retryAfter(r.Error, now); ra > res.retryAfter {
					res.retryAfter = ra
				}
			}
		}
	}
	return res
}

// message builds the FCM message of n: title and body in the recipient's
// language, the deep link and kind in data, one collapse key per kind, a TTL.
func message(n Notification, now time.Time, targets []target) *messaging.MulticastMessage {
	tokens := make([]string, len(targets))
	for i, t := range targets {
		tokens[i] = t.token
	}
	ttl := PushTTL
	return &messaging.MulticastMessage{
		Tokens:       tokens,
		Notification: &messaging.Notification{Title: n.Title, Body: n.Body},
		Data: map[string]string{
			"link":           n.Link,
			"kind":           n.Kind,
			"notificationId": n.ID.String(),
		},
		Android: &messaging.AndroidConfig{
			CollapseKey: n.Kind,
			Priority:    "high",
			TTL:         &ttl,
			Notification: &messaging.AndroidNotification{
				Title: n.Title, Body: n.Body, Tag: n.Kind, ChannelID: "jalon",
			},
		},
		APNS: &messaging.APNSConfig{
			Headers: map[string]string{
				"apns-collapse-id": n.Kind,
				"apns-expiration":  strconv.FormatInt(now.Add(ttl).Unix(), 10),
				"apns-priority":    "10",
			},
			Payload: &messaging.APNSPayload{Aps: &messaging.Aps{
				Alert:    &messaging.ApsAlert{Title: n.Title, Body: n.Body},
				Sound:    "default",
				ThreadID: n.Kind,
			}},
		},
	}
}

// retryAfter reads the Retry-After header of an FCM error answer (seconds or
// an HTTP date); 0 when there is none.
func retryAfter(err error, now time.Time) time.Duration {
	resp := errorutils.HTTPResponse(err)
	if resp == nil {
		return 0
	}
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
