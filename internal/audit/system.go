package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"jalon/internal/audit/auditdb"
	"jalon/internal/postgres"
	"jalon/internal/reqinfo"
)

// RecordOnce appends entries written by the system itself (no actor) at the
// explicit time at, each unless an entry with the same action and target was
// already written after since: events the system observes about a request
// before anyone is authenticated, such as login throttling, logged once per
// window. It is one statement, so concurrent callers can only add a
// duplicate, never skip an entry. The request id comes from ctx.
func RecordOnce(ctx context.Context, db postgres.DB, at, since time.Time, entries ...Entry) error {
	if len(entries) == 0 {
		return nil
	}
	type row struct {
		Action     string         `json:"action"`
		TargetType string         `json:"target_type"`
		TargetID   string         `json:"target_id"`
		Details    map[string]any `json:"details"`
	}
	rows := make([]row, len(entries))
	for i, e := range entries {
		details := e.Details
		if details == nil {
			details = map[string]any{}
		}
		rows[i] = row{Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID, Details: details}
	}
	js, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("audit %s: %w", entries[0].Action, err)
	}
	err = auditdb.New(db).RecordUnlessRecent(ctx, auditdb.RecordUnlessRecentParams{
		At: at, Since: since, RequestID: reqinfo.ID(ctx), Entries: js,
	})
	if err != nil {
		return fmt.Errorf("audit %s: %w", entries[0].Action, err)
	}
	return nil
}
