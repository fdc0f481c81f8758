// Package gqlhttp serves GraphQL over HTTP as the GraphQL-over-HTTP
// specification asks (https://graphql.github.io/graphql-over-http/draft/),
// checked by the specification's own audit (npm graphql-http, auditServer):
// GET and application/json POST, the response media type negotiated from
// Accept, request errors told apart from execution results by status code
// (application/graphql-response+json) or not (application/json: 200, which
// Apollo Client and other clients read as a GraphQL answer, not a network
// failure), and every error, HTTP-level ones included, carrying
// extensions.code.
package gqlhttp

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"jalon/internal/apperr"
)

// The response media types (GraphQL over HTTP, "Media Types").
const (
	JSON            = "application/json"
	GraphQLResponse = "application/graphql-response+json"
)

// allowed is the Allow header of the endpoint (multipart uploads are POSTs).
const allowed = "GET, POST, OPTIONS"

// Transport is a gqlgen transport for every request that the transports
// added before it (websocket, multipart uploads) do not take: add it last.
type Transport struct{}

var _ graphql.Transport = Transport{}

// Supports takes every request, so that wrong methods and content types get
// a spec answer (405, 415) instead of gqlgen's bare 400 without a code.
func (Transport) Supports(*http.Request) bool { return true }

// Do answers one request.
func (Transport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	w.Header().Add("Vary", "Accept")
	media, ok := Negotiate(r.Header.Get("Accept"))
	if !ok {
		Fail(w, http.StatusNotAcceptable, JSON, "no acceptable media type: accept "+GraphQLResponse+" or "+JSON)
		return
	}
	var params *graphql.RawParams
	var msg string
	status := http.StatusBadRequest
	switch r.Method {
	case http.MethodGet:
		params, msg = fromURL(r)
	case http.MethodPost:
		params, status, msg = fromBody(r)
	case http.MethodOptions:
		w.Header().Set("Allow", allowed)
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		w.Header().Set("Allow", allowed)
		Fail(w, http.StatusMethodNotAllowed, media, "method "+r.Method+" is not allowed: use GET or POST")
		return
	}
	if params == nil {
		Fail(w, status, media, msg)
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: graphql.Now(), End: graphql.Now()}

	ctx := r.Context()
	oc, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		// A request error: the document does not parse or validate, the
		// variables do not coerce, a limit refuses it. No execution, no data.
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, oc), errs)
		status := http.StatusOK
		if media == GraphQLResponse {
			status = http.StatusBadRequest
		}
		write(w, media, status, requestError{Errors: resp.Errors, Extensions: resp.Extensions})
		return
	}
	if r.Method == http.MethodGet && oc.Operation.Operation != ast.Query {
		// GET must not change anything: a mutation would be open to
		// cross-site requests and caches.
		w.Header().Set("Allow", "POST")
		Fail(w, http.StatusMethodNotAllowed, media, string(oc.Operation.Operation)+" operations need POST")
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, oc)
	resp := responses(ctx)
	writeResponse(w, media, Decorate(w.Header(), resp.Errors), resp)
}

// writeResponse writes an execution result as json.Marshal would, without
// its cost: the data gqlgen marshalled is JSON already, and json.Marshal
// re-scanned and copied all of it (a json.RawMessage is validated and
// compacted). Only the HTML-sensitive characters json.Marshal escapes in
// it are escaped here too (rarely present: checked first), so the bytes
// are the same as before.
func writeResponse(w http.ResponseWriter, media string, status int, resp *graphql.Response) {
	var buf bytes.Buffer
	buf.Grow(len(resp.Data) + 64)
	buf.WriteByte('{')
	if len(resp.Errors) > 0 {
		buf.WriteString(`"errors":`)
		appendJSON(&buf, resp.Errors)
		buf.WriteByte(',')
	}
	buf.WriteString(`"data":`)
	switch {
	case len(resp.Data) == 0:
		buf.WriteString("null")
	case needsHTMLEscape(resp.Data):
		json.HTMLEscape(&buf, resp.Data)
	default:
		buf.Write(resp.Data)
	}
	if resp.Label != "" {
		buf.WriteString(`,"label":`)
		appendJSON(&buf, resp.Label)
	}
	if len(resp.Path) > 0 {
		buf.WriteString(`,"path":`)
		appendJSON(&buf, resp.Path)
	}
	if resp.HasNext != nil {
		buf.WriteString(`,"hasNext":`)
		appendJSON(&buf, *resp.HasNext)
	}
	if len(resp.Extensions) > 0 {
		buf.WriteString(`,"extensions":`)
		appendJSON(&buf, resp.Extensions)
	}
	buf.WriteByte('}')
	w.Header().Set("Content-Type", media+"; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// needsHTMLEscape reports whether b holds a character json.Marshal escapes
// for HTML (a few vectorised searches: most responses have none).
func needsHTMLEscape(b []byte) bool {
	return bytes.IndexByte(b, '<') >= 0 || bytes.IndexByte(b, '>') >= 0 || bytes.IndexByte(b, '&') >= 0 ||
		bytes.Contains(b, lineSeparator) || bytes.Contains(b, paragraphSeparator)
}

var lineSeparator, paragraphSeparator = []byte("\u2028"), []byte("\u2029")

func appendJSON(buf *bytes.Buffer, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Responses are built from marshalable values: a bug.
		panic(err)
	}
	buf.Write(b)
}

// Negotiate picks the response media type from an Accept header: the
// acceptable type of highest quality among application/graphql-response+json
// and application/json (*/* and application/* mean application/json, as does
// no Accept at all).
func Negotiate(accept string) (string, bool) {
	if strings.TrimSpace(accept) == "" {
		return JSON, true
	}
	best, bestQ := "", 0.0
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(v, 64); err != nil {
				continue
			}
		}
		var media string
		switch mt {
		case GraphQLResponse:
			media = GraphQLResponse
		case JSON, "application/*", "*/*":
			media = JSON
		default:
			continue
		}
		if q > bestQ {
			best, bestQ = media, q
		}
	}
	return best, best != ""
}

// fromURL reads the parameters of a GET request.
func fromURL(r *http.Request) (*graphql.RawParams, string) {
	q := r.URL.Query()
	p := &graphql.RawParams{Query: q.Get("query"), OperationName: q.Get("operationName")}
	for name, dst := range map[string]*map[string]any{"variables": &p.Variables, "extensions": &p.Extensions} {
		if v := q.Get(name); v != "" && v != "null" {
			if err := decode([]byte(v), dst); err != nil || *dst == nil {
				return nil, name + " must be a JSON object"
			}
		}
	}
	if p.Query == "" && p.Extensions["persistedQuery"] == nil {
		return nil, "query is missing"
	}
	return p, ""
}

// fromBody reads the parameters of a POST request, or says why not and with
// which status.
func fromBody(r *http.Request) (*graphql.RawParams, int, string) {
	mt, mtParams, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != JSON {
		return nil, http.StatusUnsupportedMediaType, "Content-Type must be " + JSON + " (or multipart/form-data for uploads)"
	}
	if cs, ok := mtParams["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return nil, http.StatusUnsupportedMediaType, "the body must be UTF-8"
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, http.StatusBadRequest, "cannot read the body"
	}
	var raw map[string]json.RawMessage
	if err := decode(body, &raw); err != nil || raw == nil {
		return nil, http.StatusBadRequest, "the body must be one JSON object (batches are not served)"
	}
	p := &graphql.RawParams{}
	for _, f := range []struct {
		name string
		dst  any
	}{{"query", &p.Query}, {"operationName", &p.OperationName}, {"variables", &p.Variables}, {"extensions", &p.Extensions}} {
		v, ok := raw[f.name]
		if !ok || string(v) == "null" {
			continue
		}
		if err := decode(v, f.dst); err != nil {
			kind := "a JSON object"
			if f.name == "query" || f.name == "operationName" {
				kind = "a string"
			}
			return nil, http.StatusBadRequest, f.name + " must be " + kind
		}
	}
	if p.Query == "" && p.Extensions["persistedQuery"] == nil {
		return nil, http.StatusBadRequest, "query is missing"
	}
	return p, 0, ""
}

// decode reads JSON numbers as json.Number (gqlgen's variable coercion
// expects them) and refuses trailing data.
func decode(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return io.ErrUnexpectedEOF
	}
	return nil
}

// requestError is the answer to a request error: errors and no data entry
// at all (GraphQL over HTTP: "the response MUST NOT contain data").
type requestError struct {
	Errors     gqlerror.List  `json:"errors"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

// Fail answers an HTTP-level request error (bad method, media type, body)
// as a GraphQL response with code BAD_REQUEST.
func Fail(w http.ResponseWriter, status int, media, message string) {
	write(w, media, status, requestError{Errors: gqlerror.List{{
		Message:    message,
		Extensions: map[string]any{"code": string(apperr.BadRequest)},
	}}})
}

func write(w http.ResponseWriter, media string, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Responses are built from marshalable values: a bug.
		panic(err)
	}
	w.Header().Set("Content-Type", media+"; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}
