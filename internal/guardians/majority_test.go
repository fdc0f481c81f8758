package guardians_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"jalon/internal/auth"
	"jalon/internal/testapp"
)

// The day an apprentice turns 18 (Brussels), the majority job ends their
// guardians' access unless the apprentice, now adult, has confirmed it;
// both are told; the apprentice can still confirm afterwards.
func TestMajorityEndsAccess(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	ctx := context.Background()
	// Born on 19 March 2008: 18 on 19 March 2026, which begins in Brussels
	// at 23:00 UTC on the 18th (UTC+1 in March).
	c := a.NewContract(t)
	a.Exec(t, `UPDATE users SET birth_date = '2008-03-19' WHERE id = $1`, c.Apprentice.ID)
	g := a.NewGuardian(t, c.Apprentice)
	// Another apprentice with the same birthday confirms on the day, before
	// the job runs: their guardian keeps access.
	kept := a.NewContract(t)
	a.Exec(t, `UPDATE users SET birth_date = '2008-03-19' WHERE id = $1`, kept.Apprentice.ID)
	kg := a.NewGuardian(t, kept.Apprentice)
	// A minor and an adult who consented are not concerned.
	minor := a.NewContract(t)
	mg := a.NewGuardian(t, minor.Apprentice)
	adult := a.NewContract(t)
	a.Exec(t, `UPDATE users SET birth_date = '2000-01-01' WHERE id = $1`, adult.Apprentice.ID)
	ag := a.NewGuardian(t, adult.Apprentice, testapp.GuardianOpts{Basis: "APPRENTICE_CONSENT"})
	a.Exec(t, `UPDATE guardian_links SET confirmed_at = $2 WHERE guardian_id = $1`, ag.ID, testapp.Start.AddDate(0, -1, 0))

	sees := func(u testapp.User, contract testapp.Contract) bool {
		r := a.Query(t, a.Token(t, u), contractQuery, map[string]any{"id": contract.ID})
		return len(r.Errors) == 0
	}
	run := func(at time.Time, want int) {
		t.Helper()
		a.Clock.Set(at)
		n, err := a.Guardians.EndAtMajority(ctx)
		if err != nil || n != want {
			t.Fatalf("at %s: ended %d (%v), want %d", at, n, err, want)
		}
	}

	run(time.Date(2026, 3, 18, 22, 59, 0, 0, time.UTC), 0) // 23:59 on the 18th in Brussels
	if !sees(g, c) {
		t.Fatal("access ended before the birthday")
	}
	// On the birthday: the second apprentice confirms first.
	a.Clock.Set(time.Date(2026, 3, 18, 23, 10, 0, 0, time.UTC))
	a.Query(t, a.Token(t, kept.Apprentice), confirmMutation, map[string]any{"g": kg.ID}).Decode(t, &struct{}{})
	run(time.Date(2026, 3, 18, 23, 30, 0, 0, time.UTC), 1)
	if sees(g, c) {
		t.Fatal("the guardian still sees the contract of an adult who did not confirm")
	}
	for _, x := range []struct {
		u testapp.User
		c testapp.Contract
	}{{kg, kept}, {mg, minor}, {ag, adult}} {
		if !sees(x.u, x.c) {
			t.Fatalf("%s lost access", x.u.Email)
		}
	}
	if got := kinds(t, a, c.Apprentice); !slices.Contains(got, "GUARDIAN_MAJORITY") {
		t.Fatalf("apprentice told %v", got)
	}
	if got := bodies(t, a, g, "GUARDIAN_ACCESS_ENDED"); len(got) != 1 {
		t.Fatalf("guardian told %v", got)
	}
	var links struct {
		GuardianLinks []struct {
			ID        string
			Status    string
			EndReason string
		}
	}
	a.Query(t, a.Token(t, c.Apprentice), `{ guardianLinks { id status endReason } }`, nil).Decode(t, &links)
	if len(links.GuardianLinks) != 1 || links.GuardianLinks[0].Status != "ENDED" || links.GuardianLinks[0].EndReason != "MAJORITY" {
		t.Fatalf("links %+v", links)
	}
	if a.AuditCount(t, "guardian.majority", links.GuardianLinks[0].ID) != 1 {
		t.Fatal("not audited")
	}
	// Idempotent.
	run(time.Date(2026, 3, 19, 9, 0, 0, 0, time.UTC), 0)

	// Now adult, the apprentice may give access back.
	var d struct {
		ConfirmGuardianAccess struct{ Status, Basis string }
	}
	a.Query(t, a.Token(t, c.Apprentice), confirmMutation, map[string]any{"g": g.ID}).Decode(t, &d)
	if d.ConfirmGuardianAccess.Status != "ACTIVE" || d.ConfirmGuardianAccess.Basis != "APPRENTICE_CONSENT" || !sees(g, c) {
		t.Fatalf("confirmed %+v", d)
	}
	run(time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC), 0)
	if !sees(g, c) {
		t.Fatal("a confirmed guardian lost access")
	}
}

// A consent a minor gave is not the consent of the adult: it ends at 18
// like a legal representative's, unless given again.
func TestMajorityEndsAMinorsConsent(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	admin := a.NewUser(t, auth.Admin)
	c := a.NewContract(t)
	a.Exec(t, `UPDATE users SET birth_date = '2008-04-01' WHERE id = $1`, c.Apprentice.ID)
	res := link(t, a, admin, c.Apprentice.ID, map[string]any{"email": "oncle@example.test", "firstName": "Paul",
		"lastName": "Martin", "relationship": "OTHER"})
	g := testapp.User{ID: res.Link.Guardian.ID, Role: auth.Guardian}
	a.Query(t, a.Token(t, c.Apprentice), confirmMutation, map[string]any{"g": g.ID}).Decode(t, &struct{}{})
	a.Clock.Set(time.Date(2026, 4, 1, 6, 0, 0, 0, time.UTC))
	if n, err := a.Guardians.EndAtMajority(context.Background()); err != nil || n != 1 {
		t.Fatalf("ended %d %v", n, err)
	}
	a.Query(t, a.Token(t, g), contractQuery, map[string]any{"id": c.ID}).RequireCode(t, "NOT_FOUND")
}
