package logbook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/apperr"
	"jalon/internal/blobstore"
	"jalon/internal/logbook/logbookdb"
	"jalon/internal/postgres"
)

// Accepted attachment types, decided by the content, never by the name.
const (
	JPEG = "image/jpeg"
	PNG  = "image/png"
	HEIC = "image/heic"
	PDF  = "application/pdf"
)

// Sniff returns the type of an attachment from its first bytes, or "" when
// it is not one Jalon accepts. HEIC is recognised by its ISO-BMFF ftyp box
// (major brand heic, heix or mif1), which http.DetectContentType ignores.
func Sniff(b []byte) string {
	if len(b) >= 12 && string(b[4:8]) == "ftyp" {
		switch string(b[8:12]) {
		case "heic", "heix", "mif1":
			return HEIC
		}
	}
	switch ct := http.DetectContentType(b); ct {
	case JPEG, PNG, PDF:
		return ct
	}
	return ""
}

// AddAttachment stores a file for an editable entry of the caller (the
// apprentice): JPEG, PNG, HEIC or PDF by content (a PDF with JavaScript or
// automatic actions refused, see pdfProblem), at most MaxUpload bytes, at
// most MaxAttachments per entry (each VALIDATION_FAILED on field file).
//
// The file streams: its first bytes decide its type, a PDF is checked in
// one pass, and the store reads it again from the start, so no more than a
// buffer of it is ever in memory (gqlgen hands uploads above 1 MiB over as
// a temporary file). The entry is checked before the upload, so a caller
// who may not attach costs no transfer to the store, and again in the
// transaction that records the row after it; the file of an upload whose
// row is not recorded is deleted (or, after a crash, swept).
func (s *Service) AddAttachment(ctx context.Context, entryID uuid.UUID, file io.ReadSeeker) (Attachment, error) {
	size, err := file.Seek(0, io.SeekEnd)
	if err == nil {
		_, err = file.Seek(0, io.SeekStart)
	}
	if err != nil {
		return Attachment{}, apperr.Invalid("file", "could not read the file")
	}
	if size > s.MaxUpload {
		return Attachment{}, apperr.Invalid("file", "at most %d MiB", s.MaxUpload>>20)
	}
	if size == 0 {
		return Attachment{}, apperr.Invalid("file", "the file is empty")
	}
	ct, err := s.checkFile(file)
	if err != nil {
		return Attachment{}, err
	}
	if err := postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error { return s.canAttach(ctx, tx, entryID) }); err != nil {
		return Attachment{}, err
	}
	out := Attachment{ID: uuid.New(), LogEntryID: entryID, ContentType: ct, Size: int(size)}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return Attachment{}, apperr.Invalid("file", "could not read the file")
	}
	if err := s.Blobs.Put(ctx, out.ID.String(), file, size); err != nil {
		// A PUT the store completed but whose answer was lost leaves an object.
		_ = s.Blobs.Delete(context.WithoutCancel(ctx), out.ID.String())
		return Attachment{}, fmt.Errorf("add attachment: %w", err)
	}
	err = postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		if err := s.canAttach(ctx, tx, entryID); err != nil {
			return err
		}
		out.CreatedAt = s.Clock.Now()
		err = q(tx).InsertAttachment(ctx, logbookdb.InsertAttachmentParams{
			ID: out.ID, LogEntryID: entryID, ContentType: ct, Size: size, CreatedAt: out.CreatedAt})
		if err != nil {
			return fmt.Errorf("add attachment: %w", err)
		}
		// The entry changed: a syncing phone must see it.
		if err := q(tx).TouchEntry(ctx, logbookdb.TouchEntryParams{ID: entryID, Now: out.CreatedAt}); err != nil {
			return fmt.Errorf("add attachment: %w", err)
		}
		return nil
	})
	if err != nil {
		_ = s.Blobs.Delete(context.WithoutCancel(ctx), out.ID.String())
		return Attachment{}, err
	}
	return out, nil
}

// checkFile returns the type of the file (read from its start), or why it
// is refused.
func (s *Service) checkFile(file io.Reader) (string, error) {
	head := make([]byte, 512) // all http.DetectContentType reads
	n, err := io.ReadFull(file, head)
	if err != nil && err != io.ErrUnexpectedEOF {
		return "", apperr.Invalid("file", "could not read the file")
	}
	ct := Sniff(head[:n])
	if ct == "" {
		return "", apperr.Invalid("file", "only JPEG, PNG, HEIC or PDF files")
	}
	if ct == PDF {
		problem, err := pdfProblem(io.MultiReader(bytes.NewReader(head[:n]), file))
		if err != nil {
			return "", apperr.Invalid("file", "could not read the file")
		}
		if problem != "" {
			return "", apperr.Invalid("file", "%s", problem)
		}
	}
	return ct, nil
}

// canAttach fails unless the caller may add a file to the entry now: the
// entry's apprentice, the entry editable, fewer than MaxAttachments on it.
// It locks the entry.
func (s *Service) canAttach(ctx context.Context, tx pgx.Tx, entryID uuid.UUID) error {
	e, _, err := s.lockForApprentice(ctx, tx, entryID)
	if err != nil {
		return err
	}
	if err := frozen(e); err != nil {
		return err
	}
	n, err := q(tx).CountAttachments(ctx, entryID)
	if err != nil {
		return fmt.Errorf("count attachments: %w", err)
	}
	if n >= MaxAttachments {
		return apperr.Invalid("file", "at most %d attachments per log entry", MaxAttachments)
	}
	return nil
}

// AttachmentFile returns the attachment id, without an authorization
// check: the download route is authorized by its signed URL (a link the
// service handed to a caller who may see the entry). NOT_FOUND when there is
// no such attachment.
func (s *Service) AttachmentFile(ctx context.Context, id uuid.UUID) (Attachment, error) {
	r, err := q(s.DB).GetAttachment(ctx, id)
	if err != nil {
		return Attachment{}, postgres.NotFound(err, "attachment", "get attachment")
	}
	return attachmentOf(r), nil
}

// OpenFile opens the bytes of attachment id, readable from any offset
// (blobstore.ErrNotFound when the file is gone); the caller closes it.
func (s *Service) OpenFile(ctx context.Context, id uuid.UUID) (io.ReadSeekCloser, error) {
	return s.Blobs.Open(ctx, id.String())
}

// DirectFileURL returns a URL of the object store that serves attachment
// a's bytes with headers h for PresignTTL, when the service is configured
// to send downloads there (Redirect) and the store can presign; ok is
// false otherwise.
func (s *Service) DirectFileURL(ctx context.Context, a Attachment, h blobstore.ResponseHeaders) (u string, ok bool, err error) {
	p, can := s.Blobs.(blobstore.Presigner)
	if !s.Redirect || !can {
		return "", false, nil
	}
	u, err = p.PresignGet(ctx, a.ID.String(), PresignTTL, h)
	return u, err == nil, err
}

// VerifyFileURL fails unless r carries a valid signature of its URL (one
// FileURL made and that has not expired).
func (s *Service) VerifyFileURL(r *http.Request) error { return s.URLs.Verify(r) }
