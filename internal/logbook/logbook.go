// Package logbook owns the digital log book: entries an apprentice records
// for a working day (hours, activities, competencies practised, photos), the
// tutor's review, and what is derived from them (hours per week, competency
// progress). Who may do what is decided by the entry's contract: only the
// apprentice writes, the tutor or adviser reviews, an admin may read.
package logbook

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/blobstore"
	"jalon/internal/clock"
	"jalon/internal/notify"
	"jalon/internal/postgres"
)

// Status of a log entry.
type Status string

const (
	Draft            Status = "DRAFT"
	Submitted        Status = "SUBMITTED"
	Validated        Status = "VALIDATED"
	ChangesRequested Status = "CHANGES_REQUESTED"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case Draft, Submitted, Validated, ChangesRequested:
		return true
	}
	return false
}

// Decision of a review.
type Decision string

const (
	Validate       Decision = "VALIDATE"
	RequestChanges Decision = "REQUEST_CHANGES"
)

// Valid reports whether d is a known decision.
func (d Decision) Valid() bool { return d == Validate || d == RequestChanges }

// Limits of the log book (DESIGN.md).
const (
	MaxHoursPerDay     = 12.0
	MaxActivities      = 4000
	MaxAttachments     = 5
	MaxComment         = 4000
	MaxBatchReview     = 100
	FileURLTTL         = time.Hour
	maxTombstonesReply = 1000
)

// Entry is one working day in the log book.
type Entry struct {
	ID          uuid.UUID
	ClientID    uuid.UUID
	ContractID  uuid.UUID
	Date        time.Time // a calendar date, midnight UTC
	Hours       float64
	Activities  string
	Status      Status
	Version     int
	Review      *Review
	SubmittedAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time

	// PageIDs are the ids of the page this entry was listed in (nil when
	// read alone), so a resolver can load related records for the whole
	// page in one batch whatever the timing of its siblings.
	PageIDs []uuid.UUID
}

// Review is the latest review of an entry.
type Review struct {
	ReviewerID uuid.UUID
	Decision   Decision
	Comment    string
	ReviewedAt time.Time
}

// Attachment is a photo or document of an entry; its bytes are in the blob
// store under its id.
type Attachment struct {
	ID          uuid.UUID
	LogEntryID  uuid.UUID
	ContentType string
	Size        int
	CreatedAt   time.Time
}

// Tombstone records a deleted draft.
type Tombstone struct {
	ID         uuid.UUID
	ClientID   uuid.UUID
	ContractID uuid.UUID
	DeletedAt  time.Time
}

// CompetencyProgress tells how often a competency was practised in
// validated entries of a contract.
type CompetencyProgress struct {
	ContractID      uuid.UUID
	CompetencyID    uuid.UUID
	TimesPractised  int
	LastPractisedOn *time.Time
}

// WeekHours are the hours of one ISO week of a contract.
type WeekHours struct {
	WeekStart time.Time
	IsoYear   int
	IsoWeek   int
	Logged    float64
	Validated float64
	Planned   float64
	Shortfall float64
}

// Service runs the log book's operations.
type Service struct {
	DB        postgres.DB
	Clock     clock.Clock
	Notify    *notify.Notifier
	Blobs     blobstore.Store
	MaxUpload int64
}

// entryColumns is the select list matching scanEntry (table alias e).
const entryColumns = `e.id, e.client_id, e.contract_id, e.entry_date, e.hours::float8, e.activities, e.status,
	e.version, e.submitted_at, e.reviewer_id, e.review_decision, e.review_comment, e.reviewed_at,
	e.created_at, e.updated_at`

func scanEntry(row pgx.Row) (Entry, error) {
	var e Entry
	var reviewer *uuid.UUID
	var decision, comment *string
	var reviewedAt *time.Time
	err := row.Scan(&e.ID, &e.ClientID, &e.ContractID, &e.Date, &e.Hours, &e.Activities, &e.Status,
		&e.Version, &e.SubmittedAt, &reviewer, &decision, &comment, &reviewedAt, &e.CreatedAt, &e.UpdatedAt)
	if err != nil {
		return e, err
	}
	if reviewer != nil && decision != nil && reviewedAt != nil {
		e.Review = &Review{ReviewerID: *reviewer, Decision: Decision(*decision), ReviewedAt: *reviewedAt}
		if comment != nil {
			e.Review.Comment = *comment
		}
	}
	return e, nil
}

// collectEntries reads the rows of a query selecting entryColumns.
func collectEntries(rows pgx.Rows, err error) ([]Entry, error) {
	if err != nil {
		return nil, fmt.Errorf("query log entries: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Entry, error) { return scanEntry(r) })
	if err != nil {
		return nil, fmt.Errorf("read log entries: %w", err)
	}
	return out, nil
}

// FilePath is the path of an attachment's download route (sign it).
func FilePath(id uuid.UUID) string { return "/files/" + id.String() }

func link(id uuid.UUID) string { return "jalon://log-entries/" + id.String() }

func userName(ctx context.Context, db postgres.DB, id uuid.UUID) (string, error) {
	var name string
	err := db.QueryRow(ctx, `SELECT first_name || ' ' || last_name FROM users WHERE id = $1`, id).Scan(&name)
	if err != nil {
		return "", fmt.Errorf("user name: %w", err)
	}
	return name, nil
}
