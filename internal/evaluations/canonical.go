package evaluations

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"jalon/internal/postgres"
)

// The canonical form of an evaluation's content is what its signatures
// cover. It is JSON, UTF-8, without insignificant whitespace, with the keys
// of every object in ascending (byte) order and without HTML escaping
// (Go's json.Encoder with SetEscapeHTML(false); Python's
// json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
// gives the same bytes for ordinary text):
//
//	{"contractId":"<uuid>","criteria":[{"comment":"…","competencyId":"<uuid>"|null,
//	  "description":"…","label":"…","position":1,"score":3|null},…],
//	 "dueDate":"YYYY-MM-DD","evaluationId":"<uuid>","generalComment":"…",
//	 "scaleMax":4,"scaleMin":1,"slot":"M3","title":"…","version":1}
//
// with the criteria in position order. "version" is the canonical format's
// version (1), not the record's. The content hash is the lowercase hex
// SHA-256 of these bytes.
type canonical struct {
	ContractID     uuid.UUID            `json:"contractId"`
	Criteria       []canonicalCriterion `json:"criteria"`
	DueDate        string               `json:"dueDate"`
	EvaluationID   uuid.UUID            `json:"evaluationId"`
	GeneralComment string               `json:"generalComment"`
	ScaleMax       int                  `json:"scaleMax"`
	ScaleMin       int                  `json:"scaleMin"`
	Slot           string               `json:"slot"`
	Title          string               `json:"title"`
	Version        int                  `json:"version"`
}

type canonicalCriterion struct {
	Comment      string     `json:"comment"`
	CompetencyID *uuid.UUID `json:"competencyId"`
	Description  string     `json:"description"`
	Label        string     `json:"label"`
	Position     int        `json:"position"`
	Score        *int       `json:"score"`
}

// CanonicalFormatVersion is the "version" written in the canonical form.
const CanonicalFormatVersion = 1

// Canonical returns the canonical bytes of an evaluation's content (see the
// canonical type for the format). criteria must be in position order.
func Canonical(e Evaluation, t Template, criteria []Criterion) []byte {
	c := canonical{
		ContractID:     e.ContractID,
		Criteria:       make([]canonicalCriterion, len(criteria)),
		DueDate:        e.DueDate.Format(time.DateOnly),
		EvaluationID:   e.ID,
		GeneralComment: e.GeneralComment,
		ScaleMax:       t.ScaleMax,
		ScaleMin:       t.ScaleMin,
		Slot:           e.Slot,
		Title:          e.Title,
		Version:        CanonicalFormatVersion,
	}
	for i, cr := range criteria {
		c.Criteria[i] = canonicalCriterion{
			Comment: cr.Comment, CompetencyID: cr.CompetencyID, Description: cr.Description,
			Label: cr.Label, Position: cr.Position, Score: cr.Score,
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		panic(fmt.Sprintf("canonical evaluation: %v", err)) // plain strings and numbers cannot fail
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// Hash returns the lowercase hex SHA-256 of b.
func Hash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ContentHash computes the content hash of an evaluation as stored now.
func ContentHash(ctx context.Context, db postgres.DB, e Evaluation) (string, error) {
	t, err := getTemplate(ctx, db, e.TemplateID)
	if err != nil {
		return "", err
	}
	criteria, err := criteriaOfOne(ctx, db, e.ID)
	if err != nil {
		return "", err
	}
	return Hash(Canonical(e, t, criteria)), nil
}

// Integrity is the result of checking an evaluation's signatures against
// its stored content.
type Integrity struct {
	// Valid is true when every signature's hash equals the hash of the
	// content as stored now.
	Valid bool
	// ContentHash is the hash of the content as stored now.
	ContentHash string
	// SignedHash is the hash the tutor signed.
	SignedHash string
}

// Check compares the signatures with the content. ok is false when nobody
// has signed yet (there is nothing to check).
func Check(e Evaluation, t Template, criteria []Criterion, sigs []Signature) (Integrity, bool) {
	if len(sigs) == 0 {
		return Integrity{}, false
	}
	in := Integrity{Valid: true, ContentHash: Hash(Canonical(e, t, criteria))}
	for _, s := range sigs {
		if s.Role == "TUTOR" {
			in.SignedHash = s.ContentHash
		}
		if s.ContentHash != in.ContentHash {
			in.Valid = false
		}
	}
	return in, true
}
