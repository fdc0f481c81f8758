package page

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestBuildEncodesCursorsOnDemand(t *testing.T) {
	ids := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
	day := time.Date(2026, 3, 17, 0, 0, 0, 0, time.UTC)
	calls := 0
	cursorOf := func(id uuid.UUID) Cursor {
		calls++
		return Cursor{Time: day, ID: id}
	}
	p := Build(ids, Args{First: 2}, cursorOf)
	if len(p.Items) != 2 || !p.HasNextPage || p.HasPreviousPage || calls != 0 {
		t.Fatalf("page %+v, %d cursors encoded", p, calls)
	}
	if p.EndCursor() != (Cursor{Time: day, ID: ids[1]}).Encode() || p.StartCursor() != p.CursorAt(0) || calls != 3 {
		t.Fatalf("cursors %q %q after %d encodings", p.StartCursor(), p.EndCursor(), calls)
	}
	back, err := NewArgs(nil, ptr(p.EndCursor()))
	if err != nil || back.After.ID != ids[1] || !back.After.Time.Equal(day) {
		t.Fatalf("end cursor reads back as %+v, %v", back.After, err)
	}
	empty := Build([]uuid.UUID(nil), back, cursorOf)
	if empty.StartCursor() != "" || empty.EndCursor() != "" || !empty.HasPreviousPage {
		t.Fatalf("empty page %+v", empty)
	}
}

func ptr(s string) *string { return &s }
