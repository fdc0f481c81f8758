package httpserver

import (
	"bytes"
	"io"
	"net/http"
	"strings"
)

// LimitBody caps request bodies before gqlgen reads them (its POST transport
// reads bodies unbounded and echoes them in decode errors): JSON bodies to
// maxJSON bytes, multipart uploads to maxMultipart. An oversized body is
// answered 413 with a GraphQL-shaped error and never reaches the executor.
func LimitBody(maxJSON, maxMultipart int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		limit := maxJSON
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			limit = maxMultipart
		}
		if r.ContentLength > limit {
			tooLarge(w, limit)
			return
		}
		if limit == maxJSON {
			// Small enough to read whole: then we know, not guess.
			body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
			if err != nil {
				http.Error(w, "cannot read body", http.StatusBadRequest)
				return
			}
			if int64(len(body)) > limit {
				tooLarge(w, limit)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		} else {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}

func tooLarge(w http.ResponseWriter, limit int64) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusRequestEntityTooLarge)
	io.WriteString(w, `{"errors":[{"message":"request body too large","extensions":{"code":"VALIDATION_FAILED","field":"body"}}]}`)
}
