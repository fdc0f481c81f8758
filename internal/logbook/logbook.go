// Package logbook owns the digital log book: entries an apprentice records
// for a working day (hours, activities, competencies practised, photos), the
// tutor's review, and what is derived from them (hours per week, competency
// progress). Who may do what is decided by the entry's contract: only the
// apprentice writes, the tutor or adviser reviews, an admin may read, and
// the apprentice's guardians read it only while the apprentice shares it
// (log_book_contracts(); the hours per week they always see). Reads by
// anyone but the apprentice are recorded (package recordaccess).
package logbook

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"jalon/internal/blobstore"
	"jalon/internal/logbook/logbookdb"
	"jalon/internal/notify"
	"jalon/internal/postgres"
	"jalon/internal/recordaccess"
	"jalon/internal/service"
	"jalon/internal/signedurl"
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
	MaxHoursPerDay = 12.0
	MaxActivities  = 4000
	MaxAttachments = 5
	MaxComment     = 4000
	MaxBatchReview = 100
	FileURLTTL     = time.Hour
	// PresignTTL is how long an object-store URL a download is redirected
	// to stays valid (DirectFileURL): long enough to follow the redirect
	// and for a viewer's range requests, short since it cannot be revoked.
	PresignTTL         = 5 * time.Minute
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
	service.Base
	Notify    *notify.Notifier
	Blobs     blobstore.Store
	MaxUpload int64
	// Redirect sends downloads to presigned object-store URLs when the
	// store can make them (JALON_BLOB_REDIRECT).
	Redirect bool
	// URLs signs the download links of attachments (FileURL).
	URLs *signedurl.Signer
	// Access records who other than the apprentice read the log book.
	Access *recordaccess.Service
}

// q returns the log book's queries over db (the pool, or a transaction).
func q(db postgres.DB) *logbookdb.Queries { return logbookdb.New(db) }

// entryOf converts a stored entry.
func entryOf(r logbookdb.LogEntry) Entry {
	e := Entry{ID: r.ID, ClientID: r.ClientID, ContractID: r.ContractID, Date: r.EntryDate, Hours: r.Hours,
		Activities: r.Activities, Status: Status(r.Status), Version: int(r.Version), SubmittedAt: r.SubmittedAt,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if r.ReviewerID != nil && r.ReviewDecision != nil && r.ReviewedAt != nil {
		e.Review = &Review{ReviewerID: *r.ReviewerID, Decision: Decision(*r.ReviewDecision), ReviewedAt: *r.ReviewedAt}
		if r.ReviewComment != nil {
			e.Review.Comment = *r.ReviewComment
		}
	}
	return e
}

// entriesOf converts stored entries; err is the query's.
func entriesOf(rows []logbookdb.LogEntry, err error) ([]Entry, error) {
	if err != nil {
		return nil, err
	}
	out := make([]Entry, len(rows))
	for i, r := range rows {
		out[i] = entryOf(r)
	}
	return out, nil
}

// attachmentOf converts a stored attachment.
func attachmentOf(r logbookdb.LogAttachment) Attachment {
	return Attachment{ID: r.ID, LogEntryID: r.LogEntryID, ContentType: r.ContentType, Size: int(r.Size), CreatedAt: r.CreatedAt}
}

// FilePath is the path of an attachment's download route (sign it).
func FilePath(id uuid.UUID) string { return "/files/" + id.String() }

// FileURL is the signed download link of an attachment, valid FileURLTTL.
func (s *Service) FileURL(id uuid.UUID) string { return s.URLs.Sign(FilePath(id), FileURLTTL) }

func link(id uuid.UUID) string { return "jalon://log-entries/" + id.String() }

func userName(ctx context.Context, db postgres.DB, id uuid.UUID) (string, error) {
	name, err := q(db).UserName(ctx, id)
	if err != nil {
		return "", fmt.Errorf("user name: %w", err)
	}
	return name, nil
}
