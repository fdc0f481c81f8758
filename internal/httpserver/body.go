package httpserver

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
)

// LimitBody caps request bodies before gqlgen reads them (its POST transport
// reads bodies unbounded and echoes them in decode errors): JSON bodies to
// maxJSON bytes, multipart uploads to maxMultipart — and within an upload,
// the "operations" part (the query and its variables) to maxJSON too, so a
// multipart request is no way around the JSON limit. An oversized body is
// answered 413 with a GraphQL-shaped error and never reaches the executor.
func LimitBody(maxJSON, maxMultipart int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		multipartBody := strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/")
		limit := maxJSON
		if multipartBody {
			limit = maxMultipart
		}
		if r.ContentLength > limit {
			tooLarge(w, limit)
			return
		}
		if !multipartBody {
			// Small enough to read whole: then we know, not guess.
			body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
			if err != nil {
				cannotRead(w, err)
				return
			}
			if int64(len(body)) > limit {
				tooLarge(w, limit)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			next.ServeHTTP(w, r)
			return
		}
		// Read enough to hold the first part whole when it is within the
		// JSON limit, and check it; the rest streams on, capped.
		head, err := io.ReadAll(io.LimitReader(r.Body, maxJSON+8<<10))
		if err != nil {
			cannotRead(w, err)
			return
		}
		if operationsTooLarge(head, params["boundary"], maxJSON) {
			tooLarge(w, maxJSON)
			return
		}
		rest := http.MaxBytesReader(w, r.Body, maxMultipart-int64(len(head)))
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(head), rest), rest}
		next.ServeHTTP(w, r)
	})
}

// operationsTooLarge reports whether the first part of a multipart body
// (the GraphQL operations, by the multipart request spec) is longer than
// max, or does not end within head at all. A malformed body is left for
// the transport to refuse.
func operationsTooLarge(head []byte, boundary string, max int64) bool {
	if boundary == "" {
		return false
	}
	part, err := multipart.NewReader(bytes.NewReader(head), boundary).NextPart()
	if err != nil {
		return false
	}
	n, err := io.Copy(io.Discard, io.LimitReader(part, max+1))
	return n > max || err != nil
}

// cannotRead answers a body that did not arrive: 408 when its deadline
// passed (see bodyDeadline), 400 otherwise.
func cannotRead(w http.ResponseWriter, err error) {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusRequestTimeout)
		io.WriteString(w, `{"errors":[{"message":"request body too slow","extensions":{"code":"BAD_REQUEST"}}]}`)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	io.WriteString(w, `{"errors":[{"message":"cannot read body","extensions":{"code":"BAD_REQUEST"}}]}`)
}

func tooLarge(w http.ResponseWriter, limit int64) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusRequestEntityTooLarge)
	io.WriteString(w, `{"errors":[{"message":"request body too large","extensions":{"code":"BAD_REQUEST"}}]}`)
}
