// Package handlers holds the HTTP routes other than GraphQL (file
// downloads, evaluation PDFs, calendar feeds): each is a function of the
// services it calls, returning an http.Handler; internal/app routes to them.
package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"jalon/internal/httpserver"
	"jalon/internal/visits"
)

// Calendar serves GET /calendar/{file} where file is "<token>.ics" (see
// visits.FeedPath): the iCalendar feed of the adviser holding the token.
// Unknown tokens get 404, whatever the reason.
func Calendar(svc *visits.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutSuffix(r.PathValue("file"), ".ics")
		if !ok || token == "" || len(token) > 100 {
			http.NotFound(w, r)
			return
		}
		body, err := svc.Feed(r.Context(), token)
		if errors.Is(err, visits.ErrUnknownFeed) {
			http.NotFound(w, r)
			return
		}
		if err != nil {
			httpserver.ServerError(w, r, err, "calendar feed")
			return
		}
		w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
		w.Header().Set("Cache-Control", "private, no-store")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})
}
