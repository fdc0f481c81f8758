package gqlhttp

import (
	"encoding/json"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"jalon/internal/httpserver"
)

// Multipart serves file uploads (the GraphQL multipart request
// specification) through gqlgen's transport, and answers its refusals as
// every other request is answered: gqlgen says 422 with errors that carry no
// code for a malformed upload (operations or map that do not decode, a
// missing file), which Apollo Client reads as a network failure. Here such a
// refusal is 400 with BAD_REQUEST, and an upload whose document does not
// parse or validate is 200 with the document's code (application/json).
type Multipart struct {
	transport.MultipartForm
}

// Do answers one upload; the answer is held until gqlgen is done with it
// (answers are small JSON documents; the file itself is not in them).
//
// gqlgen keeps a file in memory when the request's Content-Length is below
// MaxMemory, and in a temporary file otherwise; a chunked request (no
// length, -1) would be read into memory whole, up to MaxUploadSize. Such a
// request is handed over as if its length were MaxUploadSize (the body is
// still cut there), so its file goes to disk like any large one.
func (m Multipart) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	if r.ContentLength < 0 {
		unknown := *r
		unknown.ContentLength = m.MaxUploadSize
		r = &unknown
	}
	held := httpserver.NewHeld(w.Header())
	m.MultipartForm.Do(held, r, exec)
	var answer struct {
		Errors gqlerror.List `json:"errors"`
	}
	if err := json.Unmarshal(held.Body.Bytes(), &answer); err != nil {
		Fail(w, http.StatusBadRequest, JSON, "the upload could not be read")
		return
	}
	for _, e := range answer.Errors {
		if _, ok := e.Extensions["code"]; !ok {
			// gqlgen's refusal of the multipart request itself.
			Fail(w, http.StatusBadRequest, JSON, e.Message)
			return
		}
	}
	if held.Status == http.StatusOK {
		w.WriteHeader(held.Status)
		w.Write(held.Body.Bytes())
		return
	}
	// A document refused before it ran: a request error.
	write(w, JSON, Decorate(w.Header(), answer.Errors), requestError{Errors: answer.Errors})
}
