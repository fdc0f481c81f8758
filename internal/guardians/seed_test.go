package guardians_test

import (
	"context"
	"io"
	"testing"
	"time"

	"jalon/internal/seed"
	"jalon/internal/testapp"
)

// The demo has a minor with a guardian (Lucas, who turns 18 within the
// first month), a minor who shares her log book (Léa), an adult whose
// guardian access was confirmed (Emma), and reads of Léa's record.
func TestDemoGuardians(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	ctx := context.Background()
	if err := seed.DemoAt(ctx, a.Pool, io.Discard, testapp.Start); err != nil {
		t.Fatal(err)
	}
	login := func(email string) string { return a.Login(t, email, seed.DemoPassword).AccessToken }
	entries := func(tok string, contract int) int {
		var d struct{ LogEntries struct{ TotalCount int } }
		a.Query(t, tok, `query($c: ID) { logEntries(contractId: $c) { totalCount } }`,
			map[string]any{"c": seed.ContractIDs[contract]}).Decode(t, &d)
		return d.LogEntries.TotalCount
	}
	sabine, nathalie, philippe := login("sabine.schmitz@jalon.test"), login("nathalie.martin@jalon.test"), login("philippe.lefevre@jalon.test")
	lea := login("lea@jalon.test")
	if entries(sabine, 3) == 0 || entries(sabine, 3) != entries(lea, 3) {
		t.Fatal("Léa's mother does not see the log book Léa shares")
	}
	a.Query(t, nathalie, contractQuery, map[string]any{"id": seed.ContractIDs[0]}).Decode(t, &struct{}{})
	if entries(nathalie, 0) != 0 {
		t.Fatal("Lucas's mother sees his log book, not shared")
	}
	a.Query(t, philippe, contractQuery, map[string]any{"id": seed.ContractIDs[1]}).Decode(t, &struct{}{})
	var rec struct{ MyRecordAccess struct{ TotalCount int } }
	a.Query(t, lea, `{ myRecordAccess { totalCount } }`, nil).Decode(t, &rec)
	if rec.MyRecordAccess.TotalCount < 4 {
		t.Fatalf("Léa's record access: %+v", rec)
	}

	// Within the first month Lucas turns 18: Nathalie's access ends, unless
	// he confirms; Emma's father, confirmed, keeps his.
	a.Clock.Set(testapp.Start.AddDate(0, 0, 15))
	if n, err := a.Guardians.EndAtMajority(ctx); err != nil || n != 0 {
		t.Fatalf("before Lucas's birthday: %d %v", n, err)
	}
	a.Clock.Set(testapp.Start.AddDate(0, 0, 16).Add(time.Hour))
	if n, err := a.Guardians.EndAtMajority(ctx); err != nil || n != 1 {
		t.Fatalf("on Lucas's birthday: %d %v", n, err)
	}
	a.Query(t, login("nathalie.martin@jalon.test"), contractQuery, map[string]any{"id": seed.ContractIDs[0]}).RequireCode(t, "NOT_FOUND")
	a.Query(t, login("philippe.lefevre@jalon.test"), contractQuery, map[string]any{"id": seed.ContractIDs[1]}).Decode(t, &struct{}{})
}
