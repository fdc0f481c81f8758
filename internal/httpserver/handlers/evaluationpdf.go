// Package handlers holds the plain HTTP routes beside the GraphQL endpoint
// (files, PDFs, calendar feeds): one file per handler, each a function
// taking the service(s) it calls and returning an http.Handler. The route
// table is internal/app's.
package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"jalon/internal/apperr"
	"jalon/internal/auth"
	"jalon/internal/evaluations"
	"jalon/internal/httpserver"
)

// EvaluationPDF serves GET /evaluations/{file} with file = "<id>.pdf". The
// request is authorized either by a valid signed URL (Evaluation.pdfUrl) or
// by the caller's bearer token (wrap the handler with the authentication
// middleware): members of the contract get the PDF, anyone else 404, an
// anonymous request without a valid signature 401, an invalid or expired
// signature 403. ?lang=fr|nl|de|en picks the language (default: the
// caller's, else French).
func EvaluationPDF(s *evaluations.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		file := r.PathValue("file")
		id, err := uuid.Parse(strings.TrimSuffix(file, ".pdf"))
		if err != nil || !strings.HasSuffix(file, ".pdf") {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		locale := r.URL.Query().Get("lang")
		var body []byte
		switch _, authenticated := auth.FromContext(r.Context()); {
		case r.URL.Query().Has("sig") && s.URLs.Verify(r) == nil:
			body, err = s.PDFOfLink(r.Context(), id, locale)
		case authenticated:
			body, err = s.PDF(r.Context(), id, locale)
		case r.URL.Query().Has("sig"):
			http.Error(w, "invalid or expired link", http.StatusForbidden)
			return
		default:
			w.Header().Set("WWW-Authenticate", "Bearer")
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		if err != nil {
			if apperr.CodeOf(err) == apperr.NotFound {
				http.Error(w, "not found", http.StatusNotFound)
				return
			}
			httpserver.ServerError(w, r, err, "evaluation pdf")
			return
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", `inline; filename="evaluation-`+id.String()+`.pdf"`)
		w.Header().Set("Cache-Control", "private, no-store")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})
}
