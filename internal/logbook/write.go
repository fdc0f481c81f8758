package logbook

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/apperr"
	"jalon/internal/audit"
	"jalon/internal/auth"
	"jalon/internal/clock"
	"jalon/internal/contracts"
	"jalon/internal/logbook/logbookdb"
	"jalon/internal/notify"
	"jalon/internal/postgres"
)

// CreateInput is what a phone sends to create an entry.
type CreateInput struct {
	ClientID      uuid.UUID
	ContractID    uuid.UUID
	Date          time.Time
	Hours         float64
	Activities    string
	CompetencyIDs []uuid.UUID
	Submit        bool
}

// UpdateInput changes an entry; nil fields keep their value.
type UpdateInput struct {
	ExpectedVersion int
	Date            *time.Time
	Hours           *float64
	Activities      *string
	CompetencyIDs   []uuid.UUID // nil keeps them
	Submit          bool
}

// content is what identifies an entry's substance (for idempotent creation).
type content struct {
	date          time.Time
	hours         float64
	activities    string
	competencyIDs []uuid.UUID
}

// validate checks the rules of an entry's content against its contract and
// returns the competencies deduplicated in their given order.
func (s *Service) validate(ctx context.Context, tx pgx.Tx, c contracts.Contract, in *content) error {
	normalize(in)
	today := clock.Today(s.Clock.Now())
	switch {
	case in.date.Before(c.StartDate) || in.date.After(c.EndDate):
		return apperr.Invalid("date", "must be within the contract (%s to %s)", c.StartDate.Format(time.DateOnly), c.EndDate.Format(time.DateOnly))
	case in.date.After(today):
		return apperr.Invalid("date", "cannot be in the future")
	}
	if in.hours <= 0 || in.hours > MaxHoursPerDay || math.Abs(in.hours*4-math.Round(in.hours*4)) > 1e-9 {
		return apperr.Invalid("hours", "must be more than 0 and at most 12, in quarter hours")
	}
	if n := utf8.RuneCountInString(in.activities); n < 1 || n > MaxActivities {
		return apperr.Invalid("activities", "must be 1 to %d characters", MaxActivities)
	}
	if ids := in.competencyIDs; len(ids) > 0 {
		n, err := q(tx).CountTradeCompetencies(ctx, logbookdb.CountTradeCompetenciesParams{TradeID: c.TradeID, Ids: ids})
		if err != nil {
			return fmt.Errorf("check competencies: %w", err)
		}
		if int(n) != len(ids) {
			return apperr.Invalid("competencyIds", "must be competencies of the contract's trade")
		}
	}
	return nil
}

// normalize puts content in the form it is stored and digested in: hours
// within rounding noise of a quarter made exact, activities trimmed,
// competencies deduplicated in their given order. It checks nothing, so a
// retry can be digested before the rules are applied.
func normalize(in *content) {
	if q := math.Round(in.hours * 4); math.Abs(in.hours*4-q) <= 1e-9 {
		in.hours = q / 4
	}
	in.activities = strings.TrimSpace(in.activities)
	seen := make(map[uuid.UUID]bool, len(in.competencyIDs))
	ids := in.competencyIDs[:0:0]
	for _, id := range in.competencyIDs {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	in.competencyIDs = ids
}

// errContractNotActive is the one answer, for every write of the log book
// (create, update, submit, delete, attach), when the contract is not ACTIVE.
func errContractNotActive() error {
	return apperr.Invalid("contractId", "the contract is not active")
}

// checkDayTotal enforces at most 12 hours per day. Callers hold the contract
// row lock, so two concurrent writes for one day cannot both pass.
func checkDayTotal(ctx context.Context, tx pgx.Tx, contractID uuid.UUID, day time.Time) error {
	total, err := q(tx).DayTotal(ctx, logbookdb.DayTotalParams{ContractID: contractID, Day: day})
	if err != nil {
		return fmt.Errorf("day total: %w", err)
	}
	if total > MaxHoursPerDay+1e-9 {
		return apperr.Invalid("hours", "at most %g hours in total for one day", MaxHoursPerDay)
	}
	return nil
}

func setCompetencies(ctx context.Context, tx pgx.Tx, entryID uuid.UUID, ids []uuid.UUID) error {
	if err := q(tx).ClearEntryCompetencies(ctx, entryID); err != nil {
		return fmt.Errorf("set competencies: %w", err)
	}
	if len(ids) == 0 {
		return nil
	}
	err := q(tx).AddEntryCompetencies(ctx, logbookdb.AddEntryCompetenciesParams{LogEntryID: entryID, CompetencyIds: ids})
	if err != nil {
		return fmt.Errorf("set competencies: %w", err)
	}
	return nil
}

func competencyIDsOf(ctx context.Context, db postgres.DB, entryID uuid.UUID) ([]uuid.UUID, error) {
	ids, err := q(db).EntryCompetencyIDs(ctx, entryID)
	if err != nil {
		return nil, fmt.Errorf("entry competencies: %w", err)
	}
	return ids, nil
}

// Create records an entry for the caller, who must be the contract's
// apprentice (FORBIDDEN for other members, NOT_FOUND for outsiders). The
// contract must be ACTIVE; each broken rule is VALIDATION_FAILED naming the
// field.
//
// A phone retries a create it got no answer for, possibly much later: the
// ClientID is looked up before any rule is applied, so a retry gets its entry
// (as it is now, even if edited since) even when the contract was suspended
// or the trade's competencies changed in between; the same ClientID with
// different content is a CONFLICT, and so is a retry for a draft deleted
// since. Two copies of one request racing on different server processes are
// settled by the database's unique constraint on client_id.
func (s *Service) Create(ctx context.Context, in CreateInput) (Entry, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return Entry{}, err
	}
	if in.ClientID == uuid.Nil {
		return Entry{}, apperr.Invalid("clientId", "required")
	}
	var out Entry
	err = postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		c, err := contracts.GetForUpdate(ctx, tx, in.ContractID)
		if err != nil {
			return err
		}
		if c.RoleOf(p) != auth.Apprentice {
			return apperr.ErrForbidden
		}
		ct := content{date: in.Date, hours: in.Hours, activities: in.Activities, competencyIDs: in.CompetencyIDs}
		normalize(&ct)
		sum := digest(c.ID, ct)
		// A retry first: the entry it created, whatever the rules say now.
		var found bool
		if out, found, err = existing(ctx, tx, in.ClientID, sum); err != nil || found {
			return err
		}
		// A late retry of a create whose entry was deleted since must not
		// bring it back (deletes hold the same contract lock).
		deleted, err := q(tx).TombstoneExists(ctx, in.ClientID)
		if err != nil {
			return fmt.Errorf("check tombstones: %w", err)
		}
		if deleted {
			return apperr.New(apperr.Conflict, "this log entry was deleted").With("deleted", true)
		}
		if c.Status != contracts.Active {
			return errContractNotActive()
		}
		if err := s.validate(ctx, tx, c, &ct); err != nil {
			return err
		}
		now := s.Clock.Now()
		status := Draft
		var submittedAt *time.Time
		if in.Submit {
			status, submittedAt = Submitted, &now
		}
		row, err := q(tx).InsertEntry(ctx, logbookdb.InsertEntryParams{
			ClientID: in.ClientID, CreateDigest: sum, ContractID: c.ID, EntryDate: ct.date, Hours: ct.hours,
			Activities: ct.activities, Status: string(status), SubmittedAt: submittedAt, Now: now})
		if errors.Is(err, pgx.ErrNoRows) {
			// Inserted meanwhile by a copy of this request that did not
			// wait for our contract lock (another contract's, same id).
			if out, found, err = existing(ctx, tx, in.ClientID, sum); err == nil && !found {
				err = fmt.Errorf("create log entry: client id %s neither inserted nor found", in.ClientID)
			}
			return err
		}
		if err != nil {
			return fmt.Errorf("create log entry: %w", err)
		}
		out = entryOf(row)
		if err := setCompetencies(ctx, tx, out.ID, ct.competencyIDs); err != nil {
			return err
		}
		return s.afterWrite(ctx, tx, c, out)
	})
	return out, err
}

// afterWrite finishes a create or an update in its transaction: the day's
// total must stay within 12 hours (checked after the write, with the
// contract locked, so concurrent writes cannot both pass), and an entry now
// SUBMITTED notifies the tutor.
func (s *Service) afterWrite(ctx context.Context, tx pgx.Tx, c contracts.Contract, e Entry) error {
	if err := checkDayTotal(ctx, tx, c.ID, e.Date); err != nil {
		return err
	}
	if e.Status == Submitted {
		return s.notifySubmitted(ctx, tx, c, e)
	}
	return nil
}

// digest identifies the content a create request carried (competencies in
// any order), so a retry can be told from a different entry.
func digest(contractID uuid.UUID, ct content) []byte {
	ids := make([]string, len(ct.competencyIDs))
	for i, id := range ct.competencyIDs {
		ids[i] = id.String()
	}
	slices.Sort(ids)
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%.2f\x00%s\x00%s", contractID, ct.date.Format(time.DateOnly), ct.hours, ct.activities, strings.Join(ids, ","))
	return h.Sum(nil)
}

// existing looks up the entry that holds clientID. Not found: found is
// false. Found and created with the same content (want is its create digest,
// which covers the contract): the entry as it is now. Found with another
// digest: CONFLICT.
func existing(ctx context.Context, tx pgx.Tx, clientID uuid.UUID, want []byte) (Entry, bool, error) {
	held, err := q(tx).EntryByClientID(ctx, clientID)
	if errors.Is(err, pgx.ErrNoRows) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, fmt.Errorf("look up client id: %w", err)
	}
	if !bytes.Equal(held.CreateDigest, want) {
		return Entry{}, true, apperr.New(apperr.Conflict, "clientId already used for a different log entry")
	}
	e, err := q(tx).GetEntry(ctx, held.ID)
	if err != nil {
		return Entry{}, true, fmt.Errorf("read back log entry: %w", err)
	}
	return entryOf(e), true, nil
}

// lock authorizes the caller on the entry's contract and locks the contract
// row and then the entry row (always in that order). NOT_FOUND when the entry
// does not exist or the caller is outside its contract.
func (s *Service) lock(ctx context.Context, tx pgx.Tx, id uuid.UUID) (Entry, contracts.Contract, error) {
	contractID, err := q(tx).EntryContractID(ctx, id)
	if err != nil {
		return Entry{}, contracts.Contract{}, postgres.NotFound(err, "log entry", "get log entry")
	}
	c, err := contracts.GetForUpdate(ctx, tx, contractID)
	if err != nil {
		if apperr.CodeOf(err) == apperr.NotFound {
			return Entry{}, contracts.Contract{}, apperr.NotFoundf("log entry")
		}
		return Entry{}, contracts.Contract{}, err
	}
	e, err := q(tx).LockEntry(ctx, id)
	if err != nil {
		return Entry{}, contracts.Contract{}, postgres.NotFound(err, "log entry", "lock log entry")
	}
	return entryOf(e), c, nil
}

// lockForApprentice is lock for the apprentice's writes: other members get
// FORBIDDEN; the contract must be active and the entry still editable.
func (s *Service) lockForApprentice(ctx context.Context, tx pgx.Tx, id uuid.UUID) (Entry, contracts.Contract, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return Entry{}, contracts.Contract{}, err
	}
	e, c, err := s.lock(ctx, tx, id)
	if err != nil {
		return e, c, err
	}
	if c.RoleOf(p) != auth.Apprentice {
		return e, c, apperr.ErrForbidden
	}
	if c.Status != contracts.Active {
		return e, c, errContractNotActive()
	}
	return e, c, nil
}

func frozen(e Entry) error {
	switch e.Status {
	case Validated:
		return apperr.New(apperr.Conflict, "a validated log entry cannot change").With("status", string(e.Status))
	case Submitted:
		return apperr.New(apperr.Conflict, "a submitted log entry waits for review and cannot change").With("status", string(e.Status))
	}
	return nil
}

// Update changes a DRAFT or CHANGES_REQUESTED entry of the caller (the
// apprentice). A stale ExpectedVersion is CONFLICT with extensions
// currentVersion; a submitted or validated entry is CONFLICT.
func (s *Service) Update(ctx context.Context, id uuid.UUID, in UpdateInput) (Entry, error) {
	var out Entry
	err := postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		e, c, err := s.lockForApprentice(ctx, tx, id)
		if err != nil {
			return err
		}
		if e.Version != in.ExpectedVersion {
			return apperr.New(apperr.Conflict, "the log entry changed since you read it").With("currentVersion", e.Version)
		}
		if err := frozen(e); err != nil {
			return err
		}
		ct := content{date: e.Date, hours: e.Hours, activities: e.Activities}
		if in.Date != nil {
			ct.date = *in.Date
		}
		if in.Hours != nil {
			ct.hours = *in.Hours
		}
		if in.Activities != nil {
			ct.activities = *in.Activities
		}
		if in.CompetencyIDs != nil {
			ct.competencyIDs = in.CompetencyIDs
		} else if ct.competencyIDs, err = competencyIDsOf(ctx, tx, e.ID); err != nil {
			return err
		}
		if err := s.validate(ctx, tx, c, &ct); err != nil {
			return err
		}
		now := s.Clock.Now()
		status, submittedAt := e.Status, e.SubmittedAt
		if in.Submit {
			status, submittedAt = Submitted, &now
		}
		row, err := q(tx).UpdateEntry(ctx, logbookdb.UpdateEntryParams{ID: id, EntryDate: ct.date, Hours: ct.hours,
			Activities: ct.activities, Status: string(status), SubmittedAt: submittedAt, Now: now})
		if err != nil {
			return fmt.Errorf("update log entry: %w", err)
		}
		out = entryOf(row)
		if in.CompetencyIDs != nil {
			if err := setCompetencies(ctx, tx, id, ct.competencyIDs); err != nil {
				return err
			}
		}
		return s.afterWrite(ctx, tx, c, out)
	})
	return out, err
}

// Submit sends a DRAFT or CHANGES_REQUESTED entry for review and tells the
// tutor. Submitting a SUBMITTED entry again returns it unchanged (a phone's
// retry); a VALIDATED one is CONFLICT.
func (s *Service) Submit(ctx context.Context, id uuid.UUID) (Entry, error) {
	var out Entry
	err := postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		e, c, err := s.lockForApprentice(ctx, tx, id)
		if err != nil {
			return err
		}
		switch e.Status {
		case Submitted:
			out = e
			return nil
		case Validated:
			return frozen(e)
		}
		now := s.Clock.Now()
		row, err := q(tx).SubmitEntry(ctx, logbookdb.SubmitEntryParams{ID: id, Now: now})
		if err != nil {
			return fmt.Errorf("submit log entry: %w", err)
		}
		out = entryOf(row)
		return s.notifySubmitted(ctx, tx, c, out)
	})
	return out, err
}

func (s *Service) notifySubmitted(ctx context.Context, tx pgx.Tx, c contracts.Contract, e Entry) error {
	name, err := userName(ctx, tx, c.ApprenticeID)
	if err != nil {
		return err
	}
	return s.Notify.Send(ctx, tx, []uuid.UUID{c.TutorID}, notify.Message{
		Kind: "LOG_SUBMITTED",
		Params: map[string]string{
			"apprenticeName": name,
			"apprentice":     name, // the placeholders of the message catalogue (internal/i18n, section "notification")
			"date":           e.Date.Format("02/01/2006"),
			"hours":          fmt.Sprintf("%g", e.Hours),
		},
		Link: link(e.ID),
	})
}

// Delete removes a draft of the caller (the apprentice) with its files and
// leaves a tombstone for syncing phones. Other statuses are CONFLICT.
func (s *Service) Delete(ctx context.Context, id uuid.UUID) (Tombstone, error) {
	var out Tombstone
	var files []uuid.UUID
	err := postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		e, _, err := s.lockForApprentice(ctx, tx, id)
		if err != nil {
			return err
		}
		if e.Status != Draft {
			return apperr.New(apperr.Conflict, "only drafts can be deleted").With("status", string(e.Status))
		}
		if files, err = q(tx).EntryAttachmentIDs(ctx, id); err != nil {
			return fmt.Errorf("delete log entry: %w", err)
		}
		if err := q(tx).DeleteEntry(ctx, id); err != nil {
			return fmt.Errorf("delete log entry: %w", err)
		}
		out = Tombstone{ID: e.ID, ClientID: e.ClientID, ContractID: e.ContractID, DeletedAt: s.Clock.Now()}
		err = q(tx).InsertTombstone(ctx, logbookdb.InsertTombstoneParams{
			LogEntryID: out.ID, ClientID: out.ClientID, ContractID: out.ContractID, DeletedAt: out.DeletedAt})
		if err != nil {
			return fmt.Errorf("delete log entry: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "logentry.deleted", TargetType: "log_entry", TargetID: id.String(),
			Details: map[string]any{"contractId": e.ContractID.String(), "date": e.Date.Format(time.DateOnly)}})
	})
	if err != nil {
		return Tombstone{}, err
	}
	// Files go once the rows are gone for good; a failure here leaves an
	// orphan file no row points to (harmless), never a row without its file,
	// so the deletion still succeeds for the client.
	for _, f := range files {
		_ = s.Blobs.Delete(context.WithoutCancel(ctx), f.String())
	}
	return out, nil
}
