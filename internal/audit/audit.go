// Package audit writes the append-only audit log: who did what to which
// record, when, in which request. Records are written in the transaction of
// the change they describe, so a change and its audit entry commit together.
package audit

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"jalon/internal/audit/auditdb"
	"jalon/internal/auth"
	"jalon/internal/postgres"
	"jalon/internal/reqinfo"
)

// Entry describes one change. Details must never hold secrets (passwords,
// tokens): they are kept forever.
type Entry struct {
	Action     string // e.g. "contract.created", "logentry.reviewed"
	TargetType string // e.g. "contract"
	TargetID   string
	Details    map[string]any
}

// Record appends e, with the caller from ctx as actor (none for system jobs)
// and the way the caller came in (auth.Principal.Via, e.g. an e-mail review
// link) in the entry's via column.
func Record(ctx context.Context, db postgres.DB, e Entry) error {
	var actor *uuid.UUID
	if p, ok := auth.FromContext(ctx); ok {
		actor = &p.UserID
	}
	return RecordAs(ctx, db, actor, e)
}

// RecordAs appends e with an explicit actor (nil for the system), for changes
// made before the caller is authenticated (login) or by background jobs.
func RecordAs(ctx context.Context, db postgres.DB, actor *uuid.UUID, e Entry) error {
	details := e.Details
	if details == nil {
		details = map[string]any{}
	}
	js, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	err = auditdb.New(db).Record(ctx, auditdb.RecordParams{ActorID: actor, Action: e.Action,
		TargetType: e.TargetType, TargetID: e.TargetID, RequestID: reqinfo.ID(ctx), Details: js, Via: via(ctx)})
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// via is the way the caller of ctx came in, NULL for a signed-in session
// or the system.
func via(ctx context.Context) *string {
	if p, ok := auth.FromContext(ctx); ok && p.Via != "" {
		v := string(p.Via)
		return &v
	}
	return nil
}
