package testapp

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
)

// LogEntryOpts are optional fields of NewLogEntry.
type LogEntryOpts struct {
	Date         time.Time   // default: the day before the clock
	Hours        float64     // default 8
	Status       string      // default DRAFT
	Competencies []uuid.UUID // default: the contract's first competency
	Reviewer     *User       // sets a review (VALIDATE, or REQUEST_CHANGES for CHANGES_REQUESTED)
}

// NewLogEntry inserts a log entry directly (for tests of reading and review).
func (a *TestApp) NewLogEntry(t testing.TB, c Contract, o ...LogEntryOpts) uuid.UUID {
	t.Helper()
	var opt LogEntryOpts
	if len(o) > 0 {
		opt = o[0]
	}
	if opt.Date.IsZero() {
		opt.Date = a.Clock.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -1)
	}
	if opt.Hours == 0 {
		opt.Hours = 8
	}
	if opt.Status == "" {
		opt.Status = "DRAFT"
	}
	if opt.Competencies == nil && len(c.Competencies) > 0 {
		opt.Competencies = c.Competencies[:1]
	}
	id := uuid.New()
	var reviewer *uuid.UUID
	var decision *string
	var reviewedAt *time.Time
	if opt.Reviewer != nil {
		reviewer = &opt.Reviewer.ID
		d := "VALIDATE"
		if opt.Status == "CHANGES_REQUESTED" {
			d = "REQUEST_CHANGES"
		}
		decision = &d
		now := a.Clock.Now()
		reviewedAt = &now
	}
	a.Exec(t, `INSERT INTO log_entries (id, client_id, contract_id, entry_date, hours, activities, status,
			reviewer_id, review_decision, review_comment, reviewed_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, 'Pose de plinthes', $6, $7, $8, '', $9, $10, $10)`,
		id, uuid.New(), c.ID, opt.Date, opt.Hours, opt.Status, reviewer, decision, reviewedAt, a.Clock.Now())
	for i, comp := range opt.Competencies {
		a.Exec(t, `INSERT INTO log_entry_competencies (log_entry_id, competency_id, position) VALUES ($1, $2, $3)`, id, comp, i)
	}
	return id
}

// Upload sends a GraphQL multipart request (the GraphQL multipart request
// spec) with one file bound to the variable fileVar.
func (a *TestApp) Upload(t testing.TB, token, query string, vars map[string]any, fileVar, filename string, content []byte) Response {
	t.Helper()
	vars[fileVar] = nil
	ops, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("operations", string(ops))
	w.WriteField("map", `{"0": ["variables.`+fileVar+`"]}`)
	part, err := w.CreateFormFile("0", filename)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(content)
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, a.URL+"/graphql", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return a.Do(t, req)
}
