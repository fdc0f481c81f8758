package push

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	firebase "firebase.google.com/go/v4"
	"firebase.google.com/go/v4/errorutils"
	"firebase.google.com/go/v4/messaging"
	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/api/option"

	"jalon/internal/config"
	"jalon/internal/tracing"
)

// TTL is how long FCM keeps a push for a device that is offline.
const TTL = 24 * time.Hour

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

type sendResult struct {
	delivered  []uuid.UUID
	invalid    []uuid.UUID
	transient  int
	retryAfter time.Duration
	lastErr    error
}

// maxPerCall is FCM's limit of messages per SendEach call.
const maxPerCall = 500

func (p *Pusher) send(ctx context.Context, n notification, now time.Time, targets []target) sendResult {
	var res sendResult
	for start := 0; start < len(targets); start += maxPerCall {
		chunk := targets[start:min(start+maxPerCall, len(targets))]
		msg := message(n, now, chunk)
		callCtx, cancel := context.WithTimeout(ctx, sendTimeout)
		callCtx, span := tracing.Child(callCtx, "FCM send", trace.WithSpanKind(trace.SpanKindClient))
		br, err := p.client.SendEachForMulticast(callCtx, msg)
		cancel()
		if err != nil { // the whole call failed (invalid message, context)
			res.transient += len(chunk)
			res.lastErr = err
			endSendSpan(span, n, len(chunk), 0, 0, err)
			continue
		}
		delivered, invalid := len(res.delivered), len(res.invalid)
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
		endSendSpan(span, n, len(chunk), len(res.delivered)-delivered, len(res.invalid)-invalid, nil)
	}
	return res
}

// endSendSpan records one FCM call on its span (when tracing): the
// notification and how many devices it reached, never their tokens.
func endSendSpan(span trace.Span, n notification, devices, delivered, invalid int, err error) {
	if !span.IsRecording() {
		return
	}
	span.SetAttributes(
		attribute.String("jalon.notification.id", n.ID.String()),
		attribute.String("jalon.notification.kind", n.Kind),
		attribute.Int("jalon.push.devices", devices),
		attribute.Int("jalon.push.delivered", delivered),
		attribute.Int("jalon.push.invalid", invalid),
		attribute.Int("jalon.push.failed", devices-delivered-invalid),
	)
	if err != nil {
		span.SetStatus(codes.Error, "send failed")
	} else if devices > delivered+invalid {
		span.SetStatus(codes.Error, "some devices failed")
	}
	span.End()
}

// message builds the FCM message of n: title and body in the recipient's
// language, the deep link and kind in data, one collapse key per kind, a TTL.
func message(n notification, now time.Time, targets []target) *messaging.MulticastMessage {
	tokens := make([]string, len(targets))
	for i, t := range targets {
		tokens[i] = t.token
	}
	ttl := TTL
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
