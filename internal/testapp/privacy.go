package testapp

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/google/uuid"

	"jalon/internal/blobstore"
)

// Blobs is the application's blob store (the directory or bucket the
// server uses).
func (a *TestApp) Blobs(t testing.TB) blobstore.Store {
	t.Helper()
	return a.App.Blobs()
}

// NewAttachment stores content as an attachment of log entry entry (file
// and row) and returns its id.
func (a *TestApp) NewAttachment(t testing.TB, entry uuid.UUID, content []byte) uuid.UUID {
	t.Helper()
	id := uuid.New()
	if err := a.Blobs(t).Put(context.Background(), id.String(), bytes.NewReader(content), int64(len(content))); err != nil {
		t.Fatal(err)
	}
	a.Exec(t, `INSERT INTO log_attachments (id, log_entry_id, content_type, size) VALUES ($1, $2, 'image/jpeg', $3)`,
		id, entry, len(content))
	return id
}

// Export runs exportMyData as the holder of token and returns the document
// decoded, and its raw text.
func (a *TestApp) Export(t testing.TB, token string) (map[string]any, string) {
	t.Helper()
	var d struct{ ExportMyData string }
	a.Query(t, token, `{ exportMyData }`, nil).Decode(t, &d)
	var doc map[string]any
	if err := json.Unmarshal([]byte(d.ExportMyData), &doc); err != nil {
		t.Fatalf("export is not JSON: %v: %s", err, d.ExportMyData)
	}
	return doc, d.ExportMyData
}
