// Package handlers holds the HTTP endpoints that are not GraphQL (file
// downloads, PDFs, calendar feeds): each turns a request into a call of an
// area's service and its answer into HTTP. The route table is in
// internal/app.
package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"jalon/internal/apperr"
	"jalon/internal/blobstore"
	"jalon/internal/httpserver"
	"jalon/internal/logbook"
)

// Files serves GET /files/{id}: an attachment's bytes, to whoever holds a
// valid signed URL (no Authorization header, so an <img> tag works). A
// tampered or expired signature is 403.
func Files(lb *logbook.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := lb.VerifyFileURL(r); err != nil {
			http.Error(w, "invalid or expired link", http.StatusForbidden)
			return
		}
		id, err := uuid.Parse(r.PathValue("id"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		a, err := lb.AttachmentFile(r.Context(), id)
		if err != nil {
			if apperr.CodeOf(err) == apperr.NotFound {
				http.NotFound(w, r)
			} else {
				httpserver.ServerError(w, r, err, "attachment")
			}
			return
		}
		disposition := "inline"
		if !strings.HasPrefix(a.ContentType, "image/") {
			disposition = `attachment; filename="attachment-` + id.String() + fileExt(a.ContentType) + `"`
		}
		const cacheControl = "private, max-age=300"
		// Large files can skip this server: the object store serves them
		// itself, from a URL that expires in minutes.
		direct, ok, err := lb.DirectFileURL(r.Context(), a, blobstore.ResponseHeaders{
			ContentType: a.ContentType, ContentDisposition: disposition, CacheControl: cacheControl})
		if err != nil {
			httpserver.ServerError(w, r, err, "presign attachment")
			return
		}
		if ok {
			w.Header().Set("Cache-Control", "no-store") // the target expires
			http.Redirect(w, r, direct, http.StatusTemporaryRedirect)
			return
		}
		f, err := lb.OpenFile(r.Context(), id)
		if err != nil {
			if errors.Is(err, blobstore.ErrNotFound) {
				http.NotFound(w, r)
			} else {
				httpserver.ServerError(w, r, err, "open attachment")
			}
			return
		}
		defer f.Close()
		h := w.Header()
		h.Set("Content-Type", a.ContentType)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", cacheControl)
		// Only images are shown in the browser; anything else (a PDF) is a
		// download, and the sandbox keeps a file opened anyway from running
		// script or loading anything with this origin's rights.
		h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		h.Set("Content-Disposition", disposition)
		// Range requests and conditional GETs (PDF viewers, image caches),
		// streamed from either store.
		http.ServeContent(w, r, "", a.CreatedAt, f)
	})
}

// fileExt is the file name extension of an attachment type.
func fileExt(contentType string) string {
	switch contentType {
	case logbook.PDF:
		return ".pdf"
	case logbook.JPEG:
		return ".jpg"
	case logbook.PNG:
		return ".png"
	case logbook.HEIC:
		return ".heic"
	}
	return ""
}
