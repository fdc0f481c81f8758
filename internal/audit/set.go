package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"jalon/internal/audit/auditdb"
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
	err := auditdb.New(db).RecordSet(ctx, auditdb.RecordSetParams{At: s.At, ActorID: actor, Action: s.Action,
		TargetType: s.TargetType, TargetIds: s.TargetIDs, RequestID: reqinfo.ID(ctx), Details: details, Via: via(ctx)})
	if err != nil {
		return fmt.Errorf("audit %s: %w", s.Action, err)
	}
	return nil
}
