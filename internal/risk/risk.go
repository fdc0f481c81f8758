// Package risk owns "accrochage": per ACTIVE contract a risk score and
// level (LOW, WATCH, HIGH) computed from reasons that say why, with their
// evidence in numbers and since when (policy.go: the reasons, weights and
// thresholds; compute.go: the set-based computation, run by a periodic job
// and after changes); the weekly snapshots that make a contract's risk
// history; the adviser's caseload; the interventions an adviser records; the
// notification when a contract enters HIGH and the weekly caseload digest.
//
// It ranks and explains; it decides nothing about anyone. Only advisers and
// admins see a risk: for an apprentice or a tutor it does not exist
// (NOT_FOUND). No personal attribute (age, sex, nationality, birth date,
// address) is an input.
package risk

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/apperr"
	"jalon/internal/audit"
	"jalon/internal/auth"
	"jalon/internal/clock"
	"jalon/internal/i18n"
	"jalon/internal/notify"
	"jalon/internal/page"
	"jalon/internal/postgres"
	"jalon/internal/risk/riskdb"
	"jalon/internal/service"
)

// Notification kinds (texts in internal/i18n, section "notification").
const (
	// KindHighNotification: a contract entered HIGH (params apprentice, score).
	KindHighNotification = "RISK_HIGH"
	// KindDigest: the weekly caseload digest (params high, watch, changed).
	KindDigest = "RISK_DIGEST"
)

// Service computes and reads risks and records interventions. internal/app
// builds it once.
type Service struct {
	service.Base
	Notify *notify.Notifier
	Policy Policy
}

// Risk is a contract's current risk.
type Risk struct {
	ContractID uuid.UUID
	Level      Level
	Score      int
	Reasons    []Reason
	ComputedAt time.Time
}

// Point is a contract's risk as snapshotted in one ISO week (Week: its
// Monday).
type Point struct {
	ContractID uuid.UUID
	Week       time.Time
	Level      Level
	Score      int
	Reasons    []Reason
}

// SuggestedAction returns what an adviser may do about a reason, in locale.
func SuggestedAction(locale string, k Kind) string {
	s, _ := i18n.Text(locale, "risk.action."+string(k), nil)
	return s
}

// seer returns the caller if they may see risks: advisers and admins. For
// an apprentice or a tutor risks do not exist (NOT_FOUND).
func seer(ctx context.Context) (auth.Principal, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return p, err
	}
	if p.Role != auth.Adviser && p.Role != auth.Admin {
		return p, apperr.NotFoundf("risk")
	}
	return p, nil
}

func decodeReasons(raw []byte) []Reason {
	rs := []Reason{}
	_ = json.Unmarshal(raw, &rs) // written by store from []Reason
	return rs
}

// RisksOf returns the current risk of the contracts among ids that the
// caller sees (absent: no risk computed, or not visible). NOT_FOUND for
// apprentices and tutors.
func (s *Service) RisksOf(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]Risk, error) {
	p, err := seer(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := riskdb.New(s.DB).RisksOf(ctx, riskdb.RisksOfParams{CallerID: p.UserID, CallerRole: string(p.Role), Ids: ids})
	if err != nil {
		return nil, fmt.Errorf("risks: %w", err)
	}
	out := make(map[uuid.UUID]Risk, len(rows))
	for _, r := range rows {
		out[r.ContractID] = Risk{ContractID: r.ContractID, Level: Level(r.Level), Score: int(r.Score),
			Reasons: decodeReasons(r.Reasons), ComputedAt: r.ComputedAt}
	}
	return out, nil
}

// MaxHistoryWeeks bounds riskHistory(weeks).
const MaxHistoryWeeks = 104

// HistoryOf returns, per contract among ids that the caller sees, one point
// per ISO week snapshotted over the last weeks weeks (this one included),
// oldest first. NOT_FOUND for apprentices and tutors; VALIDATION_FAILED
// (weeks) outside 1..104.
func (s *Service) HistoryOf(ctx context.Context, ids []uuid.UUID, weeks int) (map[uuid.UUID][]Point, error) {
	p, err := seer(ctx)
	if err != nil {
		return nil, err
	}
	if weeks < 1 || weeks > MaxHistoryWeeks {
		return nil, apperr.Invalid("weeks", "must be between 1 and %d", MaxHistoryWeeks)
	}
	today := clock.Today(s.Clock.Now())
	since := monday(today).AddDate(0, 0, -7*(weeks-1))
	rows, err := riskdb.New(s.DB).History(ctx, riskdb.HistoryParams{CallerID: p.UserID, CallerRole: string(p.Role), Ids: ids, Since: since})
	if err != nil {
		return nil, fmt.Errorf("risk history: %w", err)
	}
	out := make(map[uuid.UUID][]Point, len(ids))
	for _, r := range rows {
		out[r.ContractID] = append(out[r.ContractID], Point{ContractID: r.ContractID, Week: r.Week, Level: Level(r.Level),
			Score: int(r.Score), Reasons: decodeReasons(r.Reasons)})
	}
	return out, nil
}

func monday(d time.Time) time.Time { return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7)) }

// Order is the caseload's sort order.
type Order string

const (
	ByRisk      Order = "RISK"
	ByNextVisit Order = "NEXT_VISIT"
	ByName      Order = "NAME"
)

// CaseloadRow is one contract of a caseload.
type CaseloadRow struct {
	ContractID       uuid.UUID
	Risk             *Risk
	LastIntervention *Intervention
	OpenFollowUps    int
	cursor           page.Cursor
}

// CaseloadFilter selects a caseload.
type CaseloadFilter struct {
	// AdviserID: an admin's choice of adviser (nil: every adviser's ACTIVE
	// contracts); an adviser may only name themselves.
	AdviserID *uuid.UUID
	MinLevel  *Level
	Order     Order
}

func (s *Service) caseloadScope(ctx context.Context, f CaseloadFilter) (*uuid.UUID, int32, error) {
	p, err := auth.RequireRole(ctx, auth.Adviser, auth.Admin)
	if err != nil {
		return nil, 0, err
	}
	adviser := f.AdviserID
	if p.Role == auth.Adviser {
		if adviser != nil && *adviser != p.UserID {
			return nil, 0, apperr.New(apperr.Forbidden, "an adviser sees their own caseload")
		}
		adviser = &p.UserID
	} else if adviser != nil {
		ok, err := riskdb.New(s.DB).IsAdviser(ctx, *adviser)
		if err != nil {
			return nil, 0, fmt.Errorf("caseload: %w", err)
		}
		if !ok {
			return nil, 0, apperr.NotFoundf("adviser")
		}
	}
	var rank int32
	if f.MinLevel != nil {
		rank = int32(f.MinLevel.Rank())
	}
	return adviser, rank, nil
}

// Caseload returns one page of the ACTIVE contracts of the calling adviser
// (an admin: of AdviserID, or of every adviser), at or above MinLevel, in
// Order, each with its risk, last intervention and open follow-ups, in one
// statement. FORBIDDEN for apprentices and tutors, and for an adviser naming
// another adviser; NOT_FOUND for an adviserId that is no adviser.
func (s *Service) Caseload(ctx context.Context, f CaseloadFilter, a page.Args) (page.Page[CaseloadRow], error) {
	adviser, rank, err := s.caseloadScope(ctx, f)
	if err != nil {
		return page.Page[CaseloadRow]{}, err
	}
	if f.Order == "" {
		f.Order = ByRisk
	}
	prm := riskdb.CaseloadParams{AdviserID: adviser, MinRank: rank, Now: s.Clock.Now(), Sort: string(f.Order), MaxRows: int32(a.Limit())}
	if c := a.After; c != nil {
		prm.AfterID = &c.ID
		switch f.Order {
		case ByRisk:
			var k int64
			if _, err := fmt.Sscan(c.Key, &k); err != nil {
				return page.Page[CaseloadRow]{}, apperr.Invalid("after", "not a cursor of this order")
			}
			prm.AfterRisk = &k
		case ByNextVisit:
			prm.AfterAt = &c.Time
		case ByName:
			prm.AfterName = &c.Key
		}
	}
	rows, err := riskdb.New(s.DB).Caseload(ctx, prm)
	if err != nil {
		return page.Page[CaseloadRow]{}, fmt.Errorf("caseload: %w", err)
	}
	out := make([]CaseloadRow, len(rows))
	for i, r := range rows {
		row := CaseloadRow{ContractID: r.ContractID, OpenFollowUps: int(r.OpenFollowUps)}
		if r.Level != nil && r.Score != nil && r.ComputedAt != nil {
			row.Risk = &Risk{ContractID: r.ContractID, Level: Level(*r.Level), Score: int(*r.Score),
				Reasons: decodeReasons(r.Reasons), ComputedAt: *r.ComputedAt}
		}
		if r.LastIntervention != nil {
			var li storedIntervention
			if err := json.Unmarshal(r.LastIntervention, &li); err != nil {
				return page.Page[CaseloadRow]{}, fmt.Errorf("caseload: %w", err)
			}
			iv := li.intervention()
			row.LastIntervention = &iv
		}
		switch f.Order {
		case ByRisk:
			row.cursor = page.Cursor{Key: fmt.Sprint(r.RiskKey), ID: r.ContractID}
		case ByNextVisit:
			row.cursor = page.Cursor{Time: r.SortAt, ID: r.ContractID}
		case ByName:
			row.cursor = page.Cursor{Key: r.SortName, ID: r.ContractID}
		}
		out[i] = row
	}
	return page.Build(out, a, func(r CaseloadRow) page.Cursor { return r.cursor }), nil
}

// CountCaseload returns how many rows Caseload would return over all pages.
func (s *Service) CountCaseload(ctx context.Context, f CaseloadFilter) (int, error) {
	adviser, rank, err := s.caseloadScope(ctx, f)
	if err != nil {
		return 0, err
	}
	n, err := riskdb.New(s.DB).CountCaseload(ctx, riskdb.CountCaseloadParams{AdviserID: adviser, MinRank: rank})
	if err != nil {
		return 0, fmt.Errorf("count caseload: %w", err)
	}
	return int(n), nil
}

// InterventionKind says how an adviser intervened.
type InterventionKind string

const (
	Call    InterventionKind = "CALL"
	Message InterventionKind = "MESSAGE"
	Meeting InterventionKind = "MEETING"
	Visit   InterventionKind = "VISIT"
	Other   InterventionKind = "OTHER"
)

// Intervention is what an adviser did about a contract.
type Intervention struct {
	ID            uuid.UUID
	ClientID      uuid.UUID
	ContractID    uuid.UUID
	AuthorID      uuid.UUID
	Kind          InterventionKind
	Note          string
	AgreedActions string
	NextCheckOn   *time.Time
	CreatedAt     time.Time
}

// storedIntervention is an interventions row as to_jsonb writes it.
type storedIntervention struct {
	ID            uuid.UUID `json:"id"`
	ClientID      uuid.UUID `json:"client_id"`
	ContractID    uuid.UUID `json:"contract_id"`
	AuthorID      uuid.UUID `json:"author_id"`
	Kind          string    `json:"kind"`
	Note          string    `json:"note"`
	AgreedActions string    `json:"agreed_actions"`
	NextCheckOn   *string   `json:"next_check_on"`
	CreatedAt     time.Time `json:"created_at"`
}

func (r storedIntervention) intervention() Intervention {
	iv := Intervention{ID: r.ID, ClientID: r.ClientID, ContractID: r.ContractID, AuthorID: r.AuthorID, Kind: InterventionKind(r.Kind),
		Note: r.Note, AgreedActions: r.AgreedActions, CreatedAt: r.CreatedAt}
	if r.NextCheckOn != nil {
		if d, err := time.Parse(time.DateOnly, *r.NextCheckOn); err == nil {
			iv.NextCheckOn = &d
		}
	}
	return iv
}

func interventionFrom(r riskdb.Intervention) Intervention {
	return Intervention{ID: r.ID, ClientID: r.ClientID, ContractID: r.ContractID, AuthorID: r.AuthorID, Kind: InterventionKind(r.Kind),
		Note: r.Note, AgreedActions: r.AgreedActions, NextCheckOn: r.NextCheckOn, CreatedAt: r.CreatedAt}
}

// MaxInterventions bounds Contract.interventions(first).
const MaxInterventions = 100

// InterventionsOf returns the newest interventions (at most first) of each
// contract among ids that the caller sees, newest first. NOT_FOUND for
// apprentices and tutors.
func (s *Service) InterventionsOf(ctx context.Context, ids []uuid.UUID, first int) (map[uuid.UUID][]Intervention, error) {
	p, err := seer(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := riskdb.New(s.DB).InterventionsOf(ctx, riskdb.InterventionsOfParams{CallerID: p.UserID, CallerRole: string(p.Role),
		Ids: ids, PerContract: int32(first)})
	if err != nil {
		return nil, fmt.Errorf("interventions: %w", err)
	}
	out := make(map[uuid.UUID][]Intervention, len(ids))
	for _, r := range rows {
		out[r.ContractID] = append(out[r.ContractID], interventionFrom(r))
	}
	return out, nil
}

// InterventionInput is what recordIntervention receives.
type InterventionInput struct {
	// ClientID, generated by the phone, makes a retry return the first
	// record (nil: a new one each time).
	ClientID      *uuid.UUID
	Kind          InterventionKind
	Note          string
	AgreedActions string
	// NextCheckOn: the day the adviser wants to check again; from that day
	// an INTERVENTION_CHECK follow-up is open for them until they record
	// the next intervention on the contract.
	NextCheckOn *time.Time
}

// RecordIntervention records what the contract's adviser did, audited, in
// one transaction. A retry with the same clientId returns the first record
// (CONFLICT if that clientId was used for another contract or by someone
// else). NOT_FOUND for someone outside the contract; FORBIDDEN for its
// other members and admins (an intervention is the adviser's own record);
// VALIDATION_FAILED for kind, note (1–4000 characters), agreedActions (≤
// 4000) and nextCheckOn (today or later, within a year), on an ACTIVE or
// SUSPENDED contract.
func (s *Service) RecordIntervention(ctx context.Context, contractID uuid.UUID, in InterventionInput) (Intervention, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return Intervention{}, err
	}
	now := s.Clock.Now()
	today := clock.Today(now)
	clientID := uuid.New()
	if in.ClientID != nil {
		clientID = *in.ClientID
	}
	var out Intervention
	err = postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		q := riskdb.New(tx)
		c, err := q.ContractForIntervention(ctx, riskdb.ContractForInterventionParams{CallerID: p.UserID, CallerRole: string(p.Role), ContractID: contractID})
		if err != nil {
			return postgres.NotFound(err, "contract", "record intervention")
		}
		if c.AdviserID != p.UserID {
			return apperr.New(apperr.Forbidden, "only the contract's adviser records interventions")
		}
		if prev, err := q.InterventionByClientID(ctx, clientID); err == nil {
			if prev.ContractID != contractID || prev.AuthorID != p.UserID {
				return apperr.New(apperr.Conflict, "this clientId was used for another intervention")
			}
			out = interventionFrom(prev)
			return nil
		}
		if err := validate(in, today, c.Status); err != nil {
			return err
		}
		row, err := q.InsertIntervention(ctx, riskdb.InsertInterventionParams{ID: uuid.New(), ClientID: clientID, ContractID: contractID,
			AuthorID: p.UserID, Kind: string(in.Kind), Note: in.Note, AgreedActions: in.AgreedActions, NextCheckOn: in.NextCheckOn, CreatedAt: now})
		if err != nil {
			return fmt.Errorf("record intervention: %w", err)
		}
		out = interventionFrom(row)
		details := map[string]any{"contractId": contractID, "kind": in.Kind}
		if in.NextCheckOn != nil {
			details["nextCheckOn"] = in.NextCheckOn.Format(time.DateOnly)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "intervention.recorded", TargetType: "intervention", TargetID: row.ID.String(), Details: details})
	})
	return out, err
}

func validate(in InterventionInput, today time.Time, status string) error {
	switch in.Kind {
	case Call, Message, Meeting, Visit, Other:
	default:
		return apperr.Invalid("kind", "unknown kind")
	}
	if n := len([]rune(in.Note)); n < 1 || n > 4000 {
		return apperr.Invalid("note", "1 to 4000 characters")
	}
	if len([]rune(in.AgreedActions)) > 4000 {
		return apperr.Invalid("agreedActions", "at most 4000 characters")
	}
	if d := in.NextCheckOn; d != nil && (d.Before(today) || d.After(today.AddDate(1, 0, 0))) {
		return apperr.Invalid("nextCheckOn", "from today to a year ahead")
	}
	if status != "ACTIVE" && status != "SUSPENDED" {
		return apperr.Invalid("contractId", "the contract is not running")
	}
	return nil
}
