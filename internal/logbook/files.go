package logbook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/apperr"
	"jalon/internal/blobstore"
	"jalon/internal/httpserver"
	"jalon/internal/postgres"
	"jalon/internal/signedurl"
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
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM log_attachments WHERE log_entry_id = $1`, entryID).Scan(&n); err != nil {
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
		_, err = tx.Exec(ctx, `INSERT INTO log_attachments (id, log_entry_id, content_type, size, created_at)
			VALUES ($1, $2, $3, $4, $5)`, out.ID, entryID, ct, out.Size, out.CreatedAt)
		if err != nil {
			return fmt.Errorf("add attachment: %w", err)
		}
		// The entry changed: a syncing phone must see it.
		_, err = tx.Exec(ctx, `UPDATE log_entries SET version = version + 1, updated_at = $2 WHERE id = $1`, entryID, out.CreatedAt)
		if err != nil {
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

// FileHandler serves GET /files/{id}: the attachment's bytes, to whoever
// holds a valid signed URL (no Authorization header, so an <img> tag works).
// A tampered or expired signature is 403.
func (s *Service) FileHandler(urls *signedurl.Signer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := urls.Verify(r); err != nil {
			http.Error(w, "invalid or expired link", http.StatusForbidden)
			return
		}
		id, err := uuid.Parse(r.PathValue("id"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		var a Attachment
		err = s.DB.QueryRow(r.Context(), `SELECT content_type, size, created_at FROM log_attachments WHERE id = $1`, id).Scan(&a.ContentType, &a.Size, &a.CreatedAt)
		if err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				http.NotFound(w, r)
			} else {
				httpserver.ServerError(w, r, err, "attachment")
			}
			return
		}
		f, err := s.Blobs.Open(r.Context(), id.String())
		if err != nil {
			if errors.Is(err, blobstore.ErrNotFound) {
				http.NotFound(w, r)
			} else {
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
			return
		}
		defer f.Close()
		h := w.Header()
		h.Set("Content-Type", a.ContentType)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "private, max-age=300")
		// Only images are shown in the browser; anything else (a PDF) is a
		// download, and the sandbox keeps a file opened anyway from running
		// script or loading anything with this origin's rights.
		h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		if strings.HasPrefix(a.ContentType, "image/") {
			h.Set("Content-Disposition", "inline")
		} else {
			h.Set("Content-Disposition", `attachment; filename="attachment-`+id.String()+fileExt(a.ContentType)+`"`)
		}
		if rs, ok := f.(io.ReadSeeker); ok {
			// Range requests and conditional GETs (PDF viewers, image caches).
			http.ServeContent(w, r, "", a.CreatedAt, rs)
			return
		}
		io.Copy(w, f)
	})
}

// fileExt is the file name extension of an attachment type.
func fileExt(contentType string) string {
	switch contentType {
	case PDF:
		return ".pdf"
	case JPEG:
		return ".jpg"
	case PNG:
		return ".png"
	case HEIC:
		return ".heic"
	}
	return ""
}
