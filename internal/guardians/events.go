package guardians

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"jalon/internal/audit"
	"jalon/internal/clock"
	"jalon/internal/guardians/guardiansdb"
	"jalon/internal/jobs"
	"jalon/internal/notify"
	"jalon/internal/postgres"
)

// Event is something that happened on a contract that its apprentice's
// guardians are told (notification kinds GUARDIAN_EVALUATION_SIGNED,
// GUARDIAN_VISIT_SCHEDULED, GUARDIAN_VISIT_MISSED, GUARDIAN_CONTRACT_*).
// Params get the apprentice's name added as "apprentice".
type Event struct {
	ContractID uuid.UUID
	Kind       string
	Params     map[string]string
	Link       string
}

// Tell notifies the active guardians of the apprentices of events'
// contracts (inbox and push), in db (the transaction of the change), in two
// statements whatever the number of events (one when nobody has a
// guardian). Areas call it next to their own notifications.
func Tell(ctx context.Context, db postgres.DB, n *notify.Notifier, events ...Event) error {
	if len(events) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, 0, len(events))
	for _, e := range events {
		ids = append(ids, e.ContractID)
	}
	rows, err := guardiansdb.New(db).GuardiansOfContracts(ctx, ids)
	if err != nil {
		return fmt.Errorf("notify guardians: %w", err)
	}
	if len(rows) == 0 {
		return nil
	}
	byContract := map[uuid.UUID][]guardiansdb.GuardiansOfContractsRow{}
	for _, r := range rows {
		byContract[r.ContractID] = append(byContract[r.ContractID], r)
	}
	var ds []notify.Delivery
	for _, e := range events {
		for _, r := range byContract[e.ContractID] {
			params := maps.Clone(e.Params)
			if params == nil {
				params = map[string]string{}
			}
			params["apprentice"] = r.ApprenticeName
			ds = append(ds, notify.Delivery{To: r.GuardianID, Message: notify.Message{Kind: e.Kind, Params: params, Link: e.Link}})
		}
	}
	_, err = n.SendMany(ctx, db, ds)
	return err
}

// EndAtMajority ends, at the clock's now, the active links of every
// apprentice whose 18th birthday (Brussels calendar) has come, unless the
// apprentice confirmed the link since that birthday; both sides are told
// (GUARDIAN_MAJORITY to the apprentice, GUARDIAN_ACCESS_ENDED to the
// guardian) and each link gets a "guardian.majority" audit entry without an
// actor. Set-based, one transaction; running it again changes nothing. It
// returns how many links ended.
func (s *Service) EndAtMajority(ctx context.Context) (int, error) {
	now := s.Clock.Now()
	var n int
	err := postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		ended, err := guardiansdb.New(tx).EndAtMajority(ctx, guardiansdb.EndAtMajorityParams{Now: now, Today: clock.Today(now)})
		if err != nil {
			return fmt.Errorf("end guardians at majority: %w", err)
		}
		n = len(ended)
		set := audit.Set{At: now, Action: "guardian.majority", TargetType: "guardian_link",
			TargetIDs: make([]string, n), Details: make([]json.RawMessage, n)}
		ds := make([]notify.Delivery, 0, 2*n)
		for i, e := range ended {
			set.TargetIDs[i] = e.ID.String()
			set.Details[i], _ = json.Marshal(map[string]any{"apprenticeId": e.ApprenticeID, "guardianId": e.GuardianID})
			ds = append(ds,
				notify.Delivery{To: e.ApprenticeID, Message: notify.Message{Kind: "GUARDIAN_MAJORITY",
					Params: map[string]string{"guardian": e.GuardianName, "guardianId": e.GuardianID.String()}, Link: "jalon://guardians"}},
				notify.Delivery{To: e.GuardianID, Message: notify.Message{Kind: "GUARDIAN_ACCESS_ENDED",
					Params: map[string]string{"apprentice": e.ApprenticeName}, Link: "jalon://guardians"}})
		}
		if err := audit.RecordSet(ctx, tx, set); err != nil {
			return err
		}
		_, err = s.Notify.SendMany(ctx, tx, ds)
		return err
	})
	return n, err
}

// MajorityArgs is the periodic job that runs EndAtMajority, every
// JALON_GUARDIAN_MAJORITY_INTERVAL: access ends at most that long into the
// apprentice's 18th birthday.
type MajorityArgs struct{}

// Kind is the River job kind.
func (MajorityArgs) Kind() string { return "guardians.majority" }

// InsertOpts: one waiting or running job at a time is enough (the job is
// idempotent anyway).
func (MajorityArgs) InsertOpts() river.InsertOpts { return jobs.Singleton() }

// MajorityWorker works MajorityArgs.
type MajorityWorker struct {
	river.WorkerDefaults[MajorityArgs]
	Service *Service
}

// Work ends the links of the apprentices who came of age.
func (w *MajorityWorker) Work(ctx context.Context, job *river.Job[MajorityArgs]) error {
	start := time.Now()
	n, err := w.Service.EndAtMajority(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		w.Service.Log.Info().Ctx(ctx).Int("links", n).Dur("took", time.Since(start)).Msg("guardian links ended at majority")
	}
	return nil
}
