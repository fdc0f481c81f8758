package httpserver

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/felixge/httpsnoop"
	"github.com/rs/zerolog"

	"jalon/internal/apperr"
	"jalon/internal/postgres"
	"jalon/internal/reqinfo"
)

// This file is the one place where an UNAVAILABLE answer (the database is
// unreachable: retry later) gets its HTTP status, 503, and its Retry-After
// header.

// setRetryAfter asks the client to wait apperr.RetryAfterUnavailable
// seconds before retrying.
func setRetryAfter(h http.Header) {
	h.Set("Retry-After", strconv.Itoa(apperr.RetryAfterUnavailable))
}

// UnavailableStatus answers 503 with Retry-After when an error of the
// GraphQL response is UNAVAILABLE (the error presenter marks the request
// with reqinfo.MarkUnavailable): the status is decided when the response
// starts, after the operation ran. Websocket upgrades pass through.
func UnavailableStatus(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if IsWebsocket(r) {
			next.ServeHTTP(w, r)
			return
		}
		ctx, unavailable := reqinfo.TrackUnavailable(r.Context())
		started := false
		status := func(code int) int {
			started = true
			if unavailable() {
				setRetryAfter(w.Header())
				return http.StatusServiceUnavailable
			}
			return code
		}
		hooked := httpsnoop.Wrap(w, httpsnoop.Hooks{
			WriteHeader: func(next httpsnoop.WriteHeaderFunc) httpsnoop.WriteHeaderFunc {
				return func(code int) {
					if !started {
						code = status(code)
					}
					next(code)
				}
			},
			Write: func(next httpsnoop.WriteFunc) httpsnoop.WriteFunc {
				return func(b []byte) (int, error) {
					if !started {
						w.WriteHeader(status(http.StatusOK))
					}
					return next(b)
				}
			},
		})
		next.ServeHTTP(hooked, r.WithContext(ctx))
	})
}

// GraphQLServerError answers, as a GraphQL error, a request that could not
// even start because of err (e.g. while authenticating it), and logs err:
// UNAVAILABLE with 503 and Retry-After when the database is unreachable,
// INTERNAL with 500 otherwise. Never UNAUTHENTICATED: the caller's token was
// not at fault, and a phone must not sign its user out.
func GraphQLServerError(w http.ResponseWriter, r *http.Request, err error, what string) {
	code, status, msg := apperr.Internal, http.StatusInternalServerError, "internal error"
	ext := map[string]any{}
	if postgres.RetryLater(err) {
		zerolog.Ctx(r.Context()).Warn().Err(err).Msg(what + ": database unreachable or busy: retry later")
		reqinfo.MarkUnavailable(r.Context())
		setRetryAfter(w.Header())
		code, status, msg = apperr.Unavailable, http.StatusServiceUnavailable, apperr.ErrUnavailable.Message
		ext["retryAfter"] = apperr.RetryAfterUnavailable
	} else {
		zerolog.Ctx(r.Context()).Error().Err(err).Msg(what)
	}
	ext["code"] = string(code)
	body, _ := json.Marshal(map[string]any{"errors": []map[string]any{{"message": msg, "extensions": ext}}})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
}

// ServerError answers an unexpected error of a plain HTTP route (files,
// PDFs, calendar feeds) and logs it: 503 with Retry-After when the database
// is unreachable, 500 otherwise. Its cause is never shown.
func ServerError(w http.ResponseWriter, r *http.Request, err error, what string) {
	if postgres.RetryLater(err) {
		zerolog.Ctx(r.Context()).Warn().Err(err).Msg(what + ": database unreachable or busy: retry later")
		setRetryAfter(w.Header())
		http.Error(w, "service temporarily unavailable, retry shortly", http.StatusServiceUnavailable)
		return
	}
	zerolog.Ctx(r.Context()).Error().Err(err).Msg(what)
	http.Error(w, "internal error", http.StatusInternalServerError)
}
