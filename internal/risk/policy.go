package risk

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"jalon/internal/config"
)

// Level is a contract's risk level.
type Level string

const (
	Low   Level = "LOW"
	Watch Level = "WATCH"
	High  Level = "HIGH"
)

// Rank orders levels: LOW 0, WATCH 1, HIGH 2.
func (l Level) Rank() int {
	switch l {
	case Watch:
		return 1
	case High:
		return 2
	}
	return 0
}

// Valid reports whether l is one of the three levels.
func (l Level) Valid() bool { return l == Low || l == Watch || l == High }

// Kind is a reason a contract is at risk.
type Kind string

// The reasons, each computed from data Jalon already holds about the
// contract (never about the person: no age, sex, nationality, birth date nor
// address). Thresholds and weights: see DefaultPolicy.
const (
	// LogGap: working days (Monday–Friday) since the last log entry, up to
	// yesterday. Doubled from twice the threshold.
	LogGap Kind = "LOG_GAP"
	// HoursShortfall: hours logged over the last four full weeks against
	// the planned weekly hours (for the days the contract covered).
	HoursShortfall Kind = "HOURS_SHORTFALL"
	// ReviewStalled: entries waiting for the tutor's review for long
	// (tutor disengagement). Doubled from twice the threshold.
	ReviewStalled Kind = "REVIEW_STALLED"
	// ChangesNotResubmitted: entries sent back for changes and not
	// resubmitted for long.
	ChangesNotResubmitted Kind = "CHANGES_NOT_RESUBMITTED"
	// EvaluationOverdue: an evaluation not signed by the tutor days after
	// its due date.
	EvaluationOverdue Kind = "EVALUATION_OVERDUE"
	// LowScore: the latest evaluation's mean score is low on its scale.
	LowScore Kind = "LOW_SCORE"
	// FallingScore: the latest evaluation's mean dropped against the
	// previous one's.
	FallingScore Kind = "FALLING_SCORE"
	// VisitOverdue: the visit due by the planning rules is late. Doubled
	// from twice the threshold.
	VisitOverdue Kind = "VISIT_OVERDUE"
	// VisitMissed: visits MISSED in the last 90 days; doubled from two.
	VisitMissed Kind = "VISIT_MISSED"
	// VisitOutcome: the last visit's report said NEEDS_ATTENTION (the
	// weight) or AT_RISK (twice the weight).
	VisitOutcome Kind = "VISIT_OUTCOME"
	// SuspendedRecently: the contract was suspended recently.
	SuspendedRecently Kind = "SUSPENDED_RECENTLY"
	// NotSeen: the apprentice has not opened the app for long.
	NotSeen Kind = "NOT_SEEN"
)

// Kinds are every reason, in the order reasons are listed.
var Kinds = []Kind{LogGap, HoursShortfall, ReviewStalled, ChangesNotResubmitted, EvaluationOverdue,
	LowScore, FallingScore, VisitOverdue, VisitMissed, VisitOutcome, SuspendedRecently, NotSeen}

// Policy is how signals become a score: a reason counts its weight in
// points when its threshold is reached (the score is the sum); the level is
// HIGH from HighAt, WATCH from WatchAt, LOW below.
type Policy struct {
	WatchAt, HighAt int
	Weights         map[Kind]int
	// Thresholds, per kind, in the unit of its main figure: working days
	// (LOG_GAP), a fraction of the planned hours missing (HOURS_SHORTFALL),
	// days (REVIEW_STALLED, CHANGES_NOT_RESUBMITTED, EVALUATION_OVERDUE,
	// VISIT_OVERDUE, NOT_SEEN, and SUSPENDED_RECENTLY: how recent), a fraction
	// of the score scale (LOW_SCORE: below it; FALLING_SCORE: a drop of at
	// least it), a number of visits (VISIT_MISSED).
	Thresholds map[Kind]float64
}

// DefaultPolicy is the policy without configuration (README "Risk"):
//
//	reason                   threshold                   points
//	LOG_GAP                  5 working days              20 (40 from 10)
//	HOURS_SHORTFALL          40 % of planned hours       15
//	REVIEW_STALLED           10 days                     15 (30 from 20)
//	CHANGES_NOT_RESUBMITTED  7 days                      10
//	EVALUATION_OVERDUE       7 days past due             15
//	LOW_SCORE                below 40 % of the scale     20
//	FALLING_SCORE            a drop of 20 % of the scale 15
//	VISIT_OVERDUE            14 days                     10 (20 from 28)
//	VISIT_MISSED             1 visit in 90 days          15 (30 from 2)
//	VISIT_OUTCOME            NEEDS_ATTENTION / AT_RISK   15 / 30
//	SUSPENDED_RECENTLY       within 60 days              20
//	NOT_SEEN                 14 days                     10
//
// WATCH from 20 points, HIGH from 45.
func DefaultPolicy() Policy {
	return Policy{
		WatchAt: 20, HighAt: 45,
		Weights: map[Kind]int{
			LogGap: 20, HoursShortfall: 15, ReviewStalled: 15, ChangesNotResubmitted: 10, EvaluationOverdue: 15,
			LowScore: 20, FallingScore: 15, VisitOverdue: 10, VisitMissed: 15, VisitOutcome: 15,
			SuspendedRecently: 20, NotSeen: 10,
		},
		Thresholds: map[Kind]float64{
			LogGap: 5, HoursShortfall: 0.4, ReviewStalled: 10, ChangesNotResubmitted: 7, EvaluationOverdue: 7,
			LowScore: 0.4, FallingScore: 0.2, VisitOverdue: 14, VisitMissed: 1, VisitOutcome: 1,
			SuspendedRecently: 60, NotSeen: 14,
		},
	}
}

// PolicyFrom returns DefaultPolicy with the configuration's levels and
// overrides; an unknown kind or a bad value is an error naming the variable.
func PolicyFrom(c config.RiskConfig) (Policy, error) {
	p := DefaultPolicy()
	p.WatchAt, p.HighAt = c.WatchAt, c.HighAt
	if err := overrides("JALON_RISK_WEIGHTS", c.Weights, func(k Kind, v float64) error {
		if v < 0 || v != math.Trunc(v) || v > 1000 {
			return fmt.Errorf("weight of %s: a whole number of points, 0 to 1000", k)
		}
		p.Weights[k] = int(v)
		return nil
	}); err != nil {
		return p, err
	}
	err := overrides("JALON_RISK_THRESHOLDS", c.Thresholds, func(k Kind, v float64) error {
		if v <= 0 {
			return fmt.Errorf("threshold of %s: must be positive", k)
		}
		p.Thresholds[k] = v
		return nil
	})
	return p, err
}

func overrides(name, list string, set func(Kind, float64) error) error {
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		if !ok {
			return fmt.Errorf("%s: %q is not KIND=value", name, item)
		}
		kind := Kind(strings.ToUpper(strings.TrimSpace(k)))
		if _, known := DefaultPolicy().Weights[kind]; !known {
			return fmt.Errorf("%s: unknown reason %q", name, k)
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return fmt.Errorf("%s: %q is not a number", name, v)
		}
		if err := set(kind, f); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// Evidence is one figure behind a reason, e.g. {"workingDays", 12}.
type Evidence struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
}

// Reason is why a contract scores: its kind, the points it adds, the
// figures behind it and since when it holds (a date; nil when unknown).
type Reason struct {
	Kind     Kind       `json:"kind"`
	Points   int        `json:"points"`
	Evidence []Evidence `json:"evidence"`
	Since    *time.Time `json:"since"`
}

// Signals are the raw figures of one contract at one day, read set-based
// by the computation (compute.go). Dates are Brussels calendar dates.
type Signals struct {
	Today     time.Time
	StartDate time.Time
	// LastEntryOn: the latest log entry's date (nil: none); GapDays the
	// working days after it (after the day before the start without one)
	// up to yesterday.
	LastEntryOn *time.Time
	GapDays     int
	// Logged and Planned hours over the four full weeks from WindowFrom.
	Logged, Planned float64
	WindowFrom      time.Time
	// Entries SUBMITTED and since when the oldest waits.
	PendingReviews int
	OldestPending  *time.Time
	// Entries CHANGES_REQUESTED and since when the oldest was sent back.
	ChangesRequested int
	OldestChanges    *time.Time
	// Evaluations past due not signed by the tutor, and the oldest due date.
	OverdueEvaluations int
	OldestOverdueDue   *time.Time
	// The latest and previous tutor-signed evaluations' mean scores, the
	// latest's scale and tutor signature date.
	LatestMean, PreviousMean *float64
	ScaleMin, ScaleMax       float64
	LatestScoredOn           *time.Time
	// VisitDueOn: when the planning rules want a visit (nil: one is planned).
	VisitDueOn *time.Time
	// Visits MISSED in the last 90 days and the latest one's date.
	MissedVisits int
	LastMissedOn *time.Time
	// The last DONE visit's outcome and date.
	LastOutcome *string
	LastVisitOn *time.Time
	// The latest suspension (audit log) and the apprentice's latest
	// session or device activity.
	SuspendedOn *time.Time
	LastSeenOn  *time.Time
}

func days(from, to time.Time) int { return int(math.Round(to.Sub(from).Hours() / 24)) }

func datePtr(t time.Time) *time.Time { return &t }

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// Score applies the policy to s: the reasons that hold, the score and the
// level.
func (p Policy) Score(s Signals) (Level, int, []Reason) {
	var rs []Reason
	add := func(k Kind, factor int, since *time.Time, ev ...Evidence) {
		rs = append(rs, Reason{Kind: k, Points: p.Weights[k] * factor, Evidence: ev, Since: since})
	}
	th := p.Thresholds
	doubled := func(v, t float64) int {
		if v >= 2*t {
			return 2
		}
		return 1
	}
	if g := float64(s.GapDays); g >= th[LogGap] {
		since := s.StartDate
		ev := []Evidence{{"workingDays", g}}
		if s.LastEntryOn != nil {
			since = s.LastEntryOn.AddDate(0, 0, 1)
			ev = append(ev, Evidence{"daysSinceLastEntry", float64(days(*s.LastEntryOn, s.Today))})
		}
		add(LogGap, doubled(g, th[LogGap]), &since, ev...)
	}
	if s.Planned >= 1 && s.Logged < (1-th[HoursShortfall])*s.Planned {
		add(HoursShortfall, 1, datePtr(s.WindowFrom), Evidence{"loggedHours", round1(s.Logged)},
			Evidence{"plannedHours", round1(s.Planned)}, Evidence{"percentLogged", math.Round(100 * s.Logged / s.Planned)})
	}
	if s.OldestPending != nil {
		if d := float64(days(*s.OldestPending, s.Today)); d >= th[ReviewStalled] {
			add(ReviewStalled, doubled(d, th[ReviewStalled]), s.OldestPending,
				Evidence{"entries", float64(s.PendingReviews)}, Evidence{"days", d})
		}
	}
	if s.OldestChanges != nil {
		if d := float64(days(*s.OldestChanges, s.Today)); d >= th[ChangesNotResubmitted] {
			add(ChangesNotResubmitted, 1, s.OldestChanges, Evidence{"entries", float64(s.ChangesRequested)}, Evidence{"days", d})
		}
	}
	if s.OldestOverdueDue != nil {
		if d := float64(days(*s.OldestOverdueDue, s.Today)); d >= th[EvaluationOverdue] {
			add(EvaluationOverdue, 1, s.OldestOverdueDue, Evidence{"evaluations", float64(s.OverdueEvaluations)}, Evidence{"daysOverdue", d})
		}
	}
	if s.LatestMean != nil && s.ScaleMax > s.ScaleMin {
		span := s.ScaleMax - s.ScaleMin
		norm := (*s.LatestMean - s.ScaleMin) / span
		if norm < th[LowScore] {
			add(LowScore, 1, s.LatestScoredOn, Evidence{"mean", round2(*s.LatestMean)},
				Evidence{"scaleMin", s.ScaleMin}, Evidence{"scaleMax", s.ScaleMax})
		}
		if s.PreviousMean != nil {
			drop := (*s.PreviousMean - *s.LatestMean) / span
			if drop >= th[FallingScore]-1e-9 {
				add(FallingScore, 1, s.LatestScoredOn, Evidence{"mean", round2(*s.LatestMean)},
					Evidence{"previousMean", round2(*s.PreviousMean)}, Evidence{"drop", round2(*s.PreviousMean - *s.LatestMean)})
			}
		}
	}
	if s.VisitDueOn != nil {
		if d := float64(days(*s.VisitDueOn, s.Today)); d >= th[VisitOverdue] {
			add(VisitOverdue, doubled(d, th[VisitOverdue]), s.VisitDueOn, Evidence{"daysOverdue", d})
		}
	}
	if m := float64(s.MissedVisits); m >= th[VisitMissed] {
		add(VisitMissed, doubled(m, th[VisitMissed]), s.LastMissedOn, Evidence{"missedVisits", m})
	}
	if s.LastOutcome != nil {
		switch *s.LastOutcome {
		case "NEEDS_ATTENTION":
			add(VisitOutcome, 1, s.LastVisitOn, Evidence{"atRisk", 0})
		case "AT_RISK":
			add(VisitOutcome, 2, s.LastVisitOn, Evidence{"atRisk", 1})
		}
	}
	if s.SuspendedOn != nil {
		if d := float64(days(*s.SuspendedOn, s.Today)); d <= th[SuspendedRecently] {
			add(SuspendedRecently, 1, s.SuspendedOn, Evidence{"daysAgo", d})
		}
	}
	seen := s.LastSeenOn
	if seen == nil {
		seen = &s.StartDate // never seen: counted from the start
	}
	if d := float64(days(*seen, s.Today)); d >= th[NotSeen] {
		add(NotSeen, 1, seen, Evidence{"days", d})
	}
	score := 0
	kept := rs[:0]
	for _, r := range rs {
		if r.Points > 0 { // a weight of 0 switches a reason off
			score += r.Points
			kept = append(kept, r)
		}
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].Points > kept[j].Points })
	level := Low
	switch {
	case score >= p.HighAt:
		level = High
	case score >= p.WatchAt:
		level = Watch
	}
	if kept == nil {
		kept = []Reason{}
	}
	return level, score, kept
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
