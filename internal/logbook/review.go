package logbook

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/apperr"
	"jalon/internal/audit"
	"jalon/internal/auth"
	"jalon/internal/contracts"
	"jalon/internal/logbook/logbookdb"
	"jalon/internal/notify"
	"jalon/internal/postgres"
)

// ReviewInput is a tutor's decision on submitted entries.
type ReviewInput struct {
	Decision Decision
	Comment  string
}

// Refusal says why one entry of a batch review was refused.
type Refusal struct {
	ID      string `json:"id"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Review validates or sends back SUBMITTED entries, all or nothing. The
// caller must be the tutor or adviser of every entry's contract. When any
// entry is refused, nothing changes and the error (the code of the first
// refusal: NOT_FOUND for an entry outside the caller's contracts, FORBIDDEN
// for a part that may not review, CONFLICT for an entry not SUBMITTED)
// lists every refusal in extensions.refused. REQUEST_CHANGES needs a comment.
// Every review is audited and the apprentice notified.
func (s *Service) Review(ctx context.Context, ids []uuid.UUID, in ReviewInput) ([]Entry, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !in.Decision.Valid() {
		return nil, apperr.Invalid("decision", "must be VALIDATE or REQUEST_CHANGES")
	}
	in.Comment = strings.TrimSpace(in.Comment)
	if in.Decision == RequestChanges && in.Comment == "" {
		return nil, apperr.Invalid("comment", "say what must change")
	}
	if utf8.RuneCountInString(in.Comment) > MaxComment {
		return nil, apperr.Invalid("comment", "at most %d characters", MaxComment)
	}
	var uniq []uuid.UUID
	for _, id := range ids {
		if !slices.Contains(uniq, id) {
			uniq = append(uniq, id)
		}
	}
	if len(uniq) == 0 || len(uniq) > MaxBatchReview {
		return nil, apperr.Invalid("ids", "give 1 to %d log entries", MaxBatchReview)
	}
	var out []Entry
	err = postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		// Entries are locked in id order, so two batch reviews cannot deadlock.
		found, err := entriesOf(q(tx).LockEntries(ctx, uniq))
		if err != nil {
			return fmt.Errorf("review log entries: %w", err)
		}
		byID := make(map[uuid.UUID]Entry, len(found))
		var contractIDs []uuid.UUID
		for _, e := range found {
			byID[e.ID] = e
			if !slices.Contains(contractIDs, e.ContractID) {
				contractIDs = append(contractIDs, e.ContractID)
			}
		}
		// The entries' contracts exist (foreign key): read without a check,
		// the caller's part in each is decided below.
		cs, errs := contracts.GetMany(ctx, tx, contractIDs)
		if len(errs) > 0 && errs[0] != nil {
			return fmt.Errorf("review contracts: %w", errs[0])
		}
		byContract := make(map[uuid.UUID]contracts.Contract, len(cs))
		for _, c := range cs {
			byContract[c.ID] = c
		}
		var refused []Refusal
		var first *apperr.Error
		refuse := func(id uuid.UUID, e *apperr.Error) {
			if first == nil {
				first = e
			}
			refused = append(refused, Refusal{ID: id.String(), Code: string(e.Code), Message: e.Message})
		}
		for _, id := range uniq {
			e, ok := byID[id]
			c, member := byContract[e.ContractID]
			role := c.RoleOf(p)
			switch {
			case !ok || !member || role == "":
				refuse(id, apperr.NotFoundf("log entry"))
			case role != auth.Tutor && role != auth.Adviser:
				refuse(id, apperr.New(apperr.Forbidden, "only the tutor or the adviser reviews log entries"))
			case e.Status != Submitted:
				refuse(id, apperr.New(apperr.Conflict, "only a submitted log entry can be reviewed (it is %s)", e.Status))
			}
		}
		if first != nil {
			return first.With("refused", refused)
		}
		status := Validated
		if in.Decision == RequestChanges {
			status = ChangesRequested
		}
		now := s.Clock.Now()
		updated, err := entriesOf(q(tx).ReviewEntries(ctx, logbookdb.ReviewEntriesParams{Ids: uniq, Status: string(status),
			ReviewerID: p.UserID, Decision: string(in.Decision), Comment: in.Comment, Now: now}))
		if err != nil {
			return fmt.Errorf("review log entries: %w", err)
		}
		for _, e := range updated {
			err := audit.Record(ctx, tx, audit.Entry{Action: "logentry.reviewed", TargetType: "log_entry", TargetID: e.ID.String(),
				Details: map[string]any{"decision": string(in.Decision), "comment": in.Comment, "contractId": e.ContractID.String()}})
			if err != nil {
				return err
			}
		}
		out, _ = postgres.InKeyOrder(uniq, updated, func(e Entry) uuid.UUID { return e.ID }, "log entry")
		return s.notifyReviewed(ctx, tx, p, byContract, out, in)
	})
	return out, err
}

// notifyReviewed tells each apprentice once per batch: a tutor validating
// three weeks at once sends one notification, not fifteen.
func (s *Service) notifyReviewed(ctx context.Context, tx pgx.Tx, p auth.Principal, byContract map[uuid.UUID]contracts.Contract, entries []Entry, in ReviewInput) error {
	reviewer, err := userName(ctx, tx, p.UserID)
	if err != nil {
		return err
	}
	kind := "LOG_VALIDATED"
	if in.Decision == RequestChanges {
		kind = "LOG_CHANGES_REQUESTED"
	}
	var order []uuid.UUID
	groups := map[uuid.UUID][]Entry{}
	for _, e := range entries {
		if _, ok := groups[e.ContractID]; !ok {
			order = append(order, e.ContractID)
		}
		groups[e.ContractID] = append(groups[e.ContractID], e)
	}
	for _, cid := range order {
		es := groups[cid]
		latest := es[0]
		for _, e := range es {
			if e.Date.After(latest.Date) {
				latest = e
			}
		}
		params := map[string]string{
			"reviewerName": reviewer,
			"reviewer":     reviewer, // the placeholders of the message catalogue (internal/i18n, section "notification")
			"date":         latest.Date.Format("02/01/2006"),
			"count":        strconv.Itoa(len(es)),
		}
		if in.Comment != "" {
			params["comment"] = in.Comment
		}
		err := s.Notify.Send(ctx, tx, []uuid.UUID{byContract[cid].ApprenticeID}, notify.Message{Kind: kind, Params: params, Link: link(latest.ID)})
		if err != nil {
			return fmt.Errorf("notify review: %w", err)
		}
	}
	return nil
}
