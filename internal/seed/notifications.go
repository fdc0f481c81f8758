package seed

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/notify"
)

// seedNotifications gives the demo users an inbox (in their language, some
// read) and notification preferences, among them a tutor's daily digest.
// No devices: demo FCM tokens would be pruned by FCM at the first push.
func seedNotifications(ctx context.Context, tx pgx.Tx, now time.Time) error {
	now = now.UTC().Truncate(time.Minute)
	type demo struct {
		n    int
		to   uuid.UUID
		ago  time.Duration
		read bool
		m    notify.Message
	}
	notes := []demo{
		{1, Tutor1ID, 3 * time.Hour, false, notify.Message{Kind: "LOG_SUBMITTED",
			Params: map[string]string{"apprentice": "Lucas Martin", "date": now.AddDate(0, 0, -1).Format("02/01/2006")},
			Link:   "jalon://contracts/" + ContractIDs[0].String()}},
		{2, ApprenticeIDs[0], 26 * time.Hour, true, notify.Message{Kind: "LOG_VALIDATED",
			Params: map[string]string{"reviewer": "Jean Peeters", "date": now.AddDate(0, 0, -3).Format("02/01/2006")},
			Link:   "jalon://contracts/" + ContractIDs[0].String()}},
		{3, ApprenticeIDs[2], 5 * time.Hour, false, notify.Message{Kind: "LOG_CHANGES_REQUESTED",
			Params: map[string]string{"reviewer": "Hilde Janssens", "date": now.AddDate(0, 0, -2).Format("02/01/2006")},
			Link:   "jalon://contracts/" + ContractIDs[2].String()}},
		{4, ApprenticeIDs[3], time.Hour, false, notify.Message{Kind: "VISIT_SCHEDULED",
			Params: map[string]string{"adviser": "Marc Lambert", "when": now.AddDate(0, 0, 7).Format("02/01/2006") + " 10:00", "place": "Schrijnwerkerij Van den Berg, Leuven"},
			Link:   "jalon://contracts/" + ContractIDs[3].String()}},
		{5, AdviserID, 30 * time.Minute, false, notify.Message{Kind: "CONTRACT_ENDING",
			Params: map[string]string{"apprentice": "Léa Schmitz", "date": now.AddDate(0, 0, 20).Format("02/01/2006")},
			Link:   "jalon://contracts/" + ContractIDs[3].String()}},
	}
	locales := map[uuid.UUID]string{}
	for _, u := range demoUsers {
		locales[u.id] = u.locale
	}
	batch := &pgx.Batch{}
	for _, d := range notes {
		title, body := notify.Render(locales[d.to], d.m)
		params, _ := json.Marshal(d.m.Params)
		created := now.Add(-d.ago)
		var readAt *time.Time
		if d.read {
			readAt = &created
		}
		batch.Queue(`INSERT INTO notifications (id, user_id, kind, title, body, link, params, created_at, read_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
			uuid.MustParse(fmt.Sprintf("00000000-0000-4000-e500-%012d", d.n)), d.to, d.m.Kind, title, body, d.m.Link, params, created, readAt)
	}
	// The Flemish tutor works early: quiet from 20:00 to 06:00. Léa mutes
	// the log-book reminders on her phone (they stay in her inbox).
	batch.Queue(`INSERT INTO notification_preferences (user_id, quiet_hours_start, quiet_hours_end, timezone, muted_kinds)
		VALUES ($1, '20:00', '06:00', 'Europe/Brussels', '{}') ON CONFLICT DO NOTHING`, Tutor2ID)
	batch.Queue(`INSERT INTO notification_preferences (user_id, quiet_hours_start, quiet_hours_end, timezone, muted_kinds)
		VALUES ($1, '21:00', '07:00', 'Europe/Brussels', '{LOG_MISSING}') ON CONFLICT DO NOTHING`, ApprenticeIDs[3])
	// Jean Peeters, the tutor of Lucas and Emma, has no phone with the app:
	// everything reaches him by e-mail, and instead of one mail per entry to
	// review he gets a daily digest (from 07:00, see internal/mail).
	batch.Queue(`INSERT INTO notification_preferences (user_id, digest) VALUES ($1, 'DAILY') ON CONFLICT DO NOTHING`, Tutor1ID)
	return tx.SendBatch(ctx, batch).Close()
}
