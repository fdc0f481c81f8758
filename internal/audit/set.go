package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"jalon/internal/auth"
	"jalon/internal/postgres"
	"jalon/internal/reqinfo"
)

// Set is one action applied to many targets at once by a set-based change
// (a periodic job's single UPDATE): one entry per target.
type Set struct {
	// At is when the change happened (the job's clock, not the database's).
	At         time.Time
	Action     string // e.g. "visit.missed"
	TargetType string // e.g. "visit"
	// TargetIDs and Details go in pairs: Details[i], a JSON object, describes
	// the change of TargetIDs[i]. Details are kept forever: never secrets.
	TargetIDs []string
	Details   []json.RawMessage
}

// RecordSet appends one entry per target of s in one statement, with the
// caller from ctx as actor (none for system jobs), in the transaction of the
// change it describes.
func RecordSet(ctx context.Context, db postgres.DB, s Set) error {
	if len(s.TargetIDs) != len(s.Details) {
		return fmt.Errorf("audit %s: %d targets but %d details", s.Action, len(s.TargetIDs), len(s.Details))
	}
	if len(s.TargetIDs) == 0 {
		return nil
	}
	var actor *uuid.UUID
	if p, ok := auth.FromContext(ctx); ok {
		actor = &p.UserID
	}
	details := make([]string, len(s.Details))
	for i, d := range s.Details {
		details[i] = string(d)
	}
	// Hand-written, as Record is: internal/audit has no sqlc package, and
	// this one set-based statement (unnest of the targets and their details)
	// is the whole of it.
	_, err := db.Exec(ctx, `
		INSERT INTO audit_log (at, actor_id, action, target_type, target_id, request_id, details)
		SELECT $1, $2, $3, $4, t.target_id, $5, t.details::jsonb
		FROM unnest($6::text[], $7::text[]) AS t(target_id, details)`,
		s.At, actor, s.Action, s.TargetType, reqinfo.ID(ctx), s.TargetIDs, details)
	if err != nil {
		return fmt.Errorf("audit %s: %w", s.Action, err)
	}
	return nil
}
