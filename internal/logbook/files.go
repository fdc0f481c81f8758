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
func (s *Service) AddAttachment(ctx context.Context, entryID uuid.UUID, file io.Reader) (Attachment, error) {
	data, err := io.ReadAll(io.LimitReader(file, s.MaxUpload+1))
	if err != nil {
		return Attachment{}, apperr.Invalid("file", "could not read the file")
	}
	if int64(len(data)) > s.MaxUpload {
		return Attachment{}, apperr.Invalid("file", "at most %d MiB", s.MaxUpload>>20)
	}
	if len(data) == 0 {
		return Attachment{}, apperr.Invalid("file", "the file is empty")
	}
	ct := Sniff(data)
	if ct == "" {
		return Attachment{}, apperr.Invalid("file", "only JPEG, PNG, HEIC or PDF files")
	}
	if ct == PDF {
		if problem := pdfProblem(data); problem != "" {
			return Attachment{}, apperr.Invalid("file", "%s", problem)
		}
	}
	var out Attachment
	stored := false
	err = postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
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
		out = Attachment{ID: uuid.New(), LogEntryID: entryID, ContentType: ct, Size: len(data), CreatedAt: s.Clock.Now()}
		if _, err := s.Blobs.Put(ctx, out.ID.String(), bytes.NewReader(data)); err != nil {
			return err
		}
		stored = true
		err = q(tx).InsertAttachment(ctx, logbookdb.InsertAttachmentParams{
			ID: out.ID, LogEntryID: entryID, ContentType: ct, Size: int64(out.Size), CreatedAt: out.CreatedAt})
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
		if stored {
			_ = s.Blobs.Delete(context.WithoutCancel(ctx), out.ID.String())
		}
		return Attachment{}, err
	}
	return out, nil
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

// OpenFile opens the bytes of attachment id (blobstore.ErrNotFound when the
// file is gone); the caller closes it.
func (s *Service) OpenFile(ctx context.Context, id uuid.UUID) (io.ReadCloser, error) {
	return s.Blobs.Open(ctx, id.String())
}

// VerifyFileURL fails unless r carries a valid signature of its URL (one
// FileURL made and that has not expired).
func (s *Service) VerifyFileURL(r *http.Request) error { return s.URLs.Verify(r) }
