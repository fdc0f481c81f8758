package guardians_test

import (
	"context"
	"strings"
	"testing"

	"jalon/internal/auth"
	"jalon/internal/privacy"
	"jalon/internal/testapp"
)

const eraseMutation = `mutation($id: ID!) { eraseUser(id: $id) { id firstName } }`

// A guardian's export holds their own data and their links; erasing a
// guardian removes their links and personal data; erasing an apprentice
// unlinks their guardians.
func TestGuardianPrivacy(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	admin := a.NewUser(t, auth.Admin)
	at := a.Token(t, admin)
	c := a.NewContract(t)
	res := link(t, a, admin, c.Apprentice.ID, map[string]any{"email": "sophie.parent@example.test", "firstName": "Sophie",
		"lastName": "Lambotte", "relationship": "PARENT"})
	g := testapp.User{ID: res.Link.Guardian.ID, Role: auth.Guardian}

	doc, raw := a.Export(t, a.Token(t, g))
	links, _ := doc["guardianLinks"].([]any)
	if doc["profile"].(map[string]any)["role"] != "GUARDIAN" || len(links) != 1 ||
		links[0].(map[string]any)["mySide"] != "GUARDIAN" || links[0].(map[string]any)["basis"] != "LEGAL_REPRESENTATIVE" {
		t.Fatalf("guardian's export: %s", raw)
	}
	if contracts, _ := doc["contracts"].([]any); len(contracts) != 0 {
		t.Fatalf("a guardian is no party: %s", raw)
	}
	doc, _ = a.Export(t, a.Token(t, c.Apprentice))
	if links, _ := doc["guardianLinks"].([]any); len(links) != 1 || links[0].(map[string]any)["mySide"] != "APPRENTICE" {
		t.Fatalf("apprentice's export: %v", doc["guardianLinks"])
	}

	// Erasing the guardian: links gone, name gone from the apprentice's
	// inbox ("Sophie Lambotte suit désormais ton apprentissage").
	a.Query(t, at, eraseMutation, map[string]any{"id": g.ID}).Decode(t, &struct{}{})
	var n int
	a.Pool.QueryRow(context.Background(), `SELECT count(*) FROM guardian_links WHERE guardian_id = $1`, g.ID).Scan(&n)
	if n != 0 {
		t.Fatalf("%d links left", n)
	}
	var text string
	a.Pool.QueryRow(context.Background(), `SELECT string_agg(title || body || params::text, ' ') FROM notifications WHERE user_id = $1`, c.Apprentice.ID).Scan(&text)
	first, last := privacy.Pseudonym(g.ID)
	if strings.Contains(text, "Sophie") || strings.Contains(text, "Lambotte") || !strings.Contains(text, first+" "+last) {
		t.Fatalf("apprentice's inbox: %s", text)
	}
	var dump string
	a.Pool.QueryRow(context.Background(), `SELECT string_agg(u::text, ' ') FROM users u WHERE id = $1`, g.ID).Scan(&dump)
	if strings.Contains(dump, "sophie") || strings.Contains(dump, "Lambotte") {
		t.Fatalf("guardian row: %s", dump)
	}

	// Erasing an apprentice unlinks their guardians.
	other := a.NewContract(t)
	og := a.NewGuardian(t, other.Apprentice)
	a.Query(t, a.Token(t, og), contractQuery, map[string]any{"id": other.ID}).Decode(t, &struct{}{})
	a.Query(t, at, eraseMutation, map[string]any{"id": other.Apprentice.ID}).Decode(t, &struct{}{})
	a.Query(t, a.Token(t, og), contractQuery, map[string]any{"id": other.ID}).RequireCode(t, "NOT_FOUND")
	var l struct {
		GuardianLinks []struct{ Status, EndReason string }
	}
	a.Query(t, a.Token(t, og), `{ guardianLinks { status endReason } }`, nil).Decode(t, &l)
	if len(l.GuardianLinks) != 1 || l.GuardianLinks[0].Status != "ENDED" || l.GuardianLinks[0].EndReason != "ERASED" {
		t.Fatalf("links after erasure %+v", l)
	}
}
