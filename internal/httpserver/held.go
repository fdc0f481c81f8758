package httpserver

import (
	"bytes"
	"net/http"
)

// Held is a ResponseWriter that keeps a response (status, headers, body)
// until the caller decides what to send: a time-out answer instead, or a
// rewritten one. Responses held this way are small JSON documents.
type Held struct {
	header http.Header
	Status int
	wrote  bool
	Body   bytes.Buffer
}

// NewHeld holds a response whose headers start as header (nil: empty).
func NewHeld(header http.Header) *Held {
	if header == nil {
		header = http.Header{}
	}
	return &Held{header: header, Status: http.StatusOK}
}

func (h *Held) Header() http.Header { return h.header }

func (h *Held) WriteHeader(code int) {
	if !h.wrote {
		h.Status, h.wrote = code, true
	}
}

func (h *Held) Write(p []byte) (int, error) {
	h.wrote = true
	return h.Body.Write(p)
}
