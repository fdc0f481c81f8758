package guardians_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"jalon/internal/auth"
	"jalon/internal/testapp"
	"jalon/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

const linkMutation = `mutation($a: ID!, $in: LinkGuardianInput!) { linkGuardian(apprenticeId: $a, input: $in) {
	link { id status basis relationship linkedAt linkedBy { id } apprentice { id } guardian { id email role firstName locale } logBookShared }
	invitationUrl invitationExpiresAt invitationEmailed } }`

type linkPayload struct {
	Link struct {
		ID           uuid.UUID
		Status       string
		Basis        string
		Relationship string
		LinkedBy     *struct{ ID uuid.UUID }
		Apprentice   struct{ ID uuid.UUID }
		Guardian     struct {
			ID                             uuid.UUID
			Email, Role, FirstName, Locale string
		}
		LogBookShared bool
	}
	InvitationURL       *string
	InvitationExpiresAt *time.Time
	InvitationEmailed   bool
}

func link(t *testing.T, a *testapp.TestApp, admin testapp.User, apprentice uuid.UUID, in map[string]any) linkPayload {
	t.Helper()
	var d struct{ LinkGuardian linkPayload }
	a.Query(t, a.Token(t, admin), linkMutation, map[string]any{"a": apprentice, "in": in}).Decode(t, &d)
	return d.LinkGuardian
}

func parent(email string) map[string]any {
	return map[string]any{"email": email, "firstName": "Marie", "lastName": "Dupont", "relationship": "PARENT"}
}

// tokenOf returns the token of an invitation link.
func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("not an invitation link: %q", link)
	}
	return u.Query().Get("token")
}

const acceptMutation = `mutation($tok: String!, $pw: String!) { acceptInvitation(input: {token: $tok, password: $pw}) {
	accessToken user { id role } } }`

// kinds returns the kinds of u's notifications, newest first.
func kinds(t *testing.T, a *testapp.TestApp, u testapp.User) []string {
	t.Helper()
	var d struct {
		Notifications struct {
			Nodes []struct{ Kind, Title, Body string }
		}
	}
	a.Query(t, a.Token(t, u), `{ notifications(first: 100) { nodes { kind title body } } }`, nil).Decode(t, &d)
	var out []string
	for _, n := range d.Notifications.Nodes {
		out = append(out, n.Kind)
	}
	return out
}

// bodies returns the texts of u's notifications of kind.
func bodies(t *testing.T, a *testapp.TestApp, u testapp.User, kind string) []string {
	t.Helper()
	var d struct {
		Notifications struct {
			Nodes []struct{ Kind, Title, Body string }
		}
	}
	a.Query(t, a.Token(t, u), `{ notifications(first: 100) { nodes { kind title body } } }`, nil).Decode(t, &d)
	var out []string
	for _, n := range d.Notifications.Nodes {
		if n.Kind == kind {
			out = append(out, n.Title+" | "+n.Body)
		}
	}
	return out
}

const contractQuery = `query($id: ID!) { contract(id: $id) { id status startDate endDate company { name } trade { name } } }`

// A parent of a minor is their legal representative: active at once,
// recorded with who linked them and when, invited to set a password once
// (single-use, expiring), and the apprentice is told.
func TestLinkGuardianOfAMinor(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t) // the apprentice was born on 2008-05-04: 17 on the test clock
	admin := a.NewUser(t, auth.Admin)

	res := link(t, a, admin, c.Apprentice.ID, parent("Marie.Dupont@example.test"))
	l := res.Link
	if l.Status != "ACTIVE" || l.Basis != "LEGAL_REPRESENTATIVE" || l.Relationship != "PARENT" ||
		l.Apprentice.ID != c.Apprentice.ID || l.Guardian.Role != "GUARDIAN" || l.Guardian.Email != "Marie.Dupont@example.test" ||
		l.LinkedBy == nil || l.LinkedBy.ID != admin.ID || l.Guardian.Locale != "FR" {
		t.Fatalf("link %+v", res)
	}
	if res.InvitationURL == nil || res.InvitationExpiresAt == nil || res.InvitationEmailed ||
		!res.InvitationExpiresAt.Equal(testapp.Start.Add(7*24*time.Hour)) || !strings.HasPrefix(*res.InvitationURL, a.Config.PublicURL+"/invitation?token=") {
		t.Fatalf("invitation %+v", res)
	}
	if a.AuditCount(t, "guardian.linked", l.ID.String()) != 1 || a.AuditCount(t, "user.invited", l.Guardian.ID.String()) != 1 {
		t.Fatal("link or invitation not audited")
	}
	if got := bodies(t, a, c.Apprentice, "GUARDIAN_LINKED"); len(got) != 1 || !strings.Contains(got[0], "Marie Dupont suit désormais") {
		t.Fatalf("apprentice told %v", got)
	}

	// A retry (any case of the address) returns the same link, no new
	// invitation.
	again := link(t, a, admin, c.Apprentice.ID, parent("marie.dupont@EXAMPLE.test"))
	if again.Link.ID != l.ID || again.InvitationURL != nil {
		t.Fatalf("second link %+v", again)
	}

	// The guardian sets a password with the link and is signed in.
	tok := tokenOf(t, *res.InvitationURL)
	var acc struct {
		AcceptInvitation struct {
			AccessToken string
			User        struct{ ID, Role string }
		}
	}
	a.Query(t, "", acceptMutation, map[string]any{"tok": tok, "pw": "trop"}).RequireCode(t, "VALIDATION_FAILED")
	a.Query(t, "", acceptMutation, map[string]any{"tok": tok, "pw": "un long mot de passe"}).Decode(t, &acc)
	if acc.AcceptInvitation.User.Role != "GUARDIAN" || acc.AcceptInvitation.User.ID != l.Guardian.ID.String() {
		t.Fatalf("accepted %+v", acc)
	}
	var seen struct{ Contract struct{ ID string } }
	a.Query(t, acc.AcceptInvitation.AccessToken, contractQuery, map[string]any{"id": c.ID}).Decode(t, &seen)
	if seen.Contract.ID != c.ID.String() {
		t.Fatal("the guardian does not see the contract")
	}
	// Single use.
	r := a.Query(t, "", acceptMutation, map[string]any{"tok": tok, "pw": "un autre mot de passe"})
	r.RequireCode(t, "VALIDATION_FAILED")
	if r.Field() != "token" {
		t.Fatalf("field %q", r.Field())
	}
	a.Login(t, "marie.dupont@example.test", "un long mot de passe")

	// The same parent linked to a second child: the account is reused and
	// has a password, so no invitation.
	sibling := a.NewContract(t)
	second := link(t, a, admin, sibling.Apprentice.ID, parent("marie.dupont@example.test"))
	if second.Link.Guardian.ID != l.Guardian.ID || second.InvitationURL != nil || second.Link.ID == l.ID {
		t.Fatalf("second child %+v", second)
	}
}

// An invitation expires; an admin's first password works at once.
func TestInvitationExpiresAndFirstPassword(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	admin := a.NewUser(t, auth.Admin)
	in := parent("pere@example.test")
	in["password"] = "mot de passe initial"
	res := link(t, a, admin, c.Apprentice.ID, in)
	if res.InvitationURL != nil {
		t.Fatalf("an account with a password gets no invitation: %+v", res)
	}
	a.Login(t, "pere@example.test", "mot de passe initial")

	other := a.NewContract(t)
	res = link(t, a, admin, other.Apprentice.ID, parent("mere@example.test"))
	a.Clock.Set(testapp.Start.Add(7*24*time.Hour + time.Second))
	r := a.Query(t, "", acceptMutation, map[string]any{"tok": tokenOf(t, *res.InvitationURL), "pw": "un long mot de passe"})
	r.RequireCode(t, "VALIDATION_FAILED")
	if r.Field() != "token" {
		t.Fatalf("field %q", r.Field())
	}
	a.Query(t, "", acceptMutation, map[string]any{"tok": "not-a-token", "pw": "un long mot de passe"}).RequireCode(t, "VALIDATION_FAILED")

	// Linking again once the invitation expired unused: a new one.
	again := link(t, a, admin, other.Apprentice.ID, parent("mere@example.test"))
	if again.Link.ID != res.Link.ID || again.InvitationURL == nil || *again.InvitationURL == *res.InvitationURL ||
		!again.InvitationExpiresAt.Equal(a.Clock.Now().Add(7*24*time.Hour)) {
		t.Fatalf("linking again after expiry: %+v", again)
	}
	a.Query(t, "", acceptMutation, map[string]any{"tok": tokenOf(t, *again.InvitationURL), "pw": "un long mot de passe"}).Decode(t, &struct{}{})
	a.Login(t, "mere@example.test", "un long mot de passe")
}

func TestLinkGuardianRefusals(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	admin := a.NewUser(t, auth.Admin)
	tok := a.Token(t, admin)
	q := func(apprentice uuid.UUID, in map[string]any) testapp.Response {
		return a.Query(t, tok, linkMutation, map[string]any{"a": apprentice, "in": in})
	}
	field := func(r testapp.Response, code, f string) {
		t.Helper()
		r.RequireCode(t, code)
		if r.Field() != f {
			t.Fatalf("field %q, want %q", r.Field(), f)
		}
	}
	for _, u := range []testapp.User{c.Apprentice, c.Tutor, c.Adviser, a.NewGuardian(t, c.Apprentice)} {
		a.Query(t, a.Token(t, u), linkMutation, map[string]any{"a": c.Apprentice.ID, "in": parent("x@example.test")}).RequireCode(t, "FORBIDDEN")
	}
	q(uuid.New(), parent("x@example.test")).RequireCode(t, "NOT_FOUND")
	field(q(c.Tutor.ID, parent("x@example.test")), "VALIDATION_FAILED", "apprenticeId")
	field(q(c.Apprentice.ID, parent(c.Tutor.Email)), "VALIDATION_FAILED", "email")
	field(q(c.Apprentice.ID, parent("not an address")), "VALIDATION_FAILED", "email")
	bad := parent("y@example.test")
	bad["password"] = "court"
	field(q(c.Apprentice.ID, bad), "VALIDATION_FAILED", "password")
	bad = parent("z@example.test")
	bad["firstName"] = " "
	field(q(c.Apprentice.ID, bad), "VALIDATION_FAILED", "firstName")
	q(c.Apprentice.ID, map[string]any{"email": "w@example.test", "firstName": "A", "lastName": "B", "relationship": "UNCLE"}).RequireCode(t, "BAD_USER_INPUT")
	// Nothing was created by the refusals.
	var n int
	a.Pool.QueryRow(context.Background(), `SELECT count(*) FROM users WHERE role = 'GUARDIAN' AND email LIKE '%@example.test' AND email NOT LIKE 'GUARDIAN-%'`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d guardians created by refused links", n)
	}
}

const confirmMutation = `mutation($g: ID!) { confirmGuardianAccess(guardianId: $g) { id status basis confirmedAt } }`

// Without the apprentice's consent (an adult, no birth date, a guardian who
// is not a legal representative), the link waits; the apprentice confirms.
func TestLinkNeedsTheApprenticesConfirmation(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	admin := a.NewUser(t, auth.Admin)
	adult := a.NewContract(t)
	a.Exec(t, `UPDATE users SET birth_date = '2005-02-01' WHERE id = $1`, adult.Apprentice.ID)
	unknown := a.NewContract(t)
	a.Exec(t, `UPDATE users SET birth_date = NULL WHERE id = $1`, unknown.Apprentice.ID)
	minor := a.NewContract(t)

	cases := []struct {
		name string
		c    testapp.Contract
		in   map[string]any
	}{
		{"adult", adult, parent("adult.parent@example.test")},
		{"no birth date", unknown, parent("unknown.parent@example.test")},
		{"minor, not a legal representative", minor, map[string]any{"email": "granny@example.test", "firstName": "Jeanne",
			"lastName": "Dupont", "relationship": "OTHER"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := link(t, a, admin, tc.c.Apprentice.ID, tc.in)
			if res.Link.Status != "AWAITING_CONFIRMATION" || res.Link.Basis != "APPRENTICE_CONSENT" {
				t.Fatalf("link %+v", res.Link)
			}
			g := testapp.User{ID: res.Link.Guardian.ID, Role: auth.Guardian}
			if got := kinds(t, a, tc.c.Apprentice); len(got) != 1 || got[0] != "GUARDIAN_CONFIRMATION_NEEDED" {
				t.Fatalf("apprentice told %v", got)
			}
			// No access yet.
			a.Query(t, a.Token(t, g), contractQuery, map[string]any{"id": tc.c.ID}).RequireCode(t, "NOT_FOUND")
			var list struct{ Contracts struct{ TotalCount int } }
			a.Query(t, a.Token(t, g), `{ contracts { totalCount } }`, nil).Decode(t, &list)
			if list.Contracts.TotalCount != 0 {
				t.Fatal("a guardian awaiting confirmation sees contracts")
			}
			// Only the apprentice confirms; someone else's apprentice has
			// no such link.
			a.Query(t, a.Token(t, tc.c.Tutor), confirmMutation, map[string]any{"g": g.ID}).RequireCode(t, "FORBIDDEN")
			a.Query(t, a.Token(t, g), confirmMutation, map[string]any{"g": g.ID}).RequireCode(t, "FORBIDDEN")
			a.Query(t, a.Token(t, a.NewContract(t).Apprentice), confirmMutation, map[string]any{"g": g.ID}).RequireCode(t, "NOT_FOUND")
			var d struct {
				ConfirmGuardianAccess struct {
					ID          uuid.UUID
					Status      string
					Basis       string
					ConfirmedAt *time.Time
				}
			}
			a.Query(t, a.Token(t, tc.c.Apprentice), confirmMutation, map[string]any{"g": g.ID}).Decode(t, &d)
			if d.ConfirmGuardianAccess.Status != "ACTIVE" || d.ConfirmGuardianAccess.Basis != "APPRENTICE_CONSENT" || d.ConfirmGuardianAccess.ConfirmedAt == nil {
				t.Fatalf("confirmed %+v", d)
			}
			if a.AuditCount(t, "guardian.confirmed", d.ConfirmGuardianAccess.ID.String()) != 1 {
				t.Fatal("not audited")
			}
			a.Query(t, a.Token(t, g), contractQuery, map[string]any{"id": tc.c.ID}).Decode(t, &struct{}{})
			if got := kinds(t, a, g); len(got) != 1 || got[0] != "GUARDIAN_ACCESS_CONFIRMED" {
				t.Fatalf("guardian told %v", got)
			}
			// Confirming again changes nothing.
			a.Query(t, a.Token(t, tc.c.Apprentice), confirmMutation, map[string]any{"g": g.ID}).Decode(t, &d)
			if a.AuditCount(t, "guardian.confirmed", d.ConfirmGuardianAccess.ID.String()) != 1 {
				t.Fatal("a second confirmation was recorded")
			}
		})
	}

	// A minor cannot confirm their legal representative: nothing to confirm
	// until they are 18.
	lr := link(t, a, admin, minor.Apprentice.ID, parent("minor.parent@example.test"))
	r := a.Query(t, a.Token(t, minor.Apprentice), confirmMutation, map[string]any{"g": lr.Link.Guardian.ID})
	r.RequireCode(t, "VALIDATION_FAILED")
	if r.Field() != "guardianId" {
		t.Fatalf("field %q", r.Field())
	}
}

const unlinkMutation = `mutation($a: ID!, $g: ID!) { unlinkGuardian(apprenticeId: $a, guardianId: $g) { id status endReason endedAt } }`

func TestUnlinkGuardian(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	admin := a.NewUser(t, auth.Admin)
	g := a.NewGuardian(t, c.Apprentice)
	gt := a.Token(t, g)
	a.Query(t, gt, contractQuery, map[string]any{"id": c.ID}).Decode(t, &struct{}{})

	a.Query(t, a.Token(t, c.Apprentice), unlinkMutation, map[string]any{"a": c.Apprentice.ID, "g": g.ID}).RequireCode(t, "FORBIDDEN")
	a.Query(t, gt, unlinkMutation, map[string]any{"a": c.Apprentice.ID, "g": g.ID}).RequireCode(t, "FORBIDDEN")
	var d struct {
		UnlinkGuardian struct {
			ID        uuid.UUID
			Status    string
			EndReason string
			EndedAt   *time.Time
		}
	}
	a.Query(t, a.Token(t, admin), unlinkMutation, map[string]any{"a": c.Apprentice.ID, "g": g.ID}).Decode(t, &d)
	if d.UnlinkGuardian.Status != "ENDED" || d.UnlinkGuardian.EndReason != "UNLINKED" || d.UnlinkGuardian.EndedAt == nil {
		t.Fatalf("unlinked %+v", d)
	}
	// Access ends at once, with the same token.
	a.Query(t, gt, contractQuery, map[string]any{"id": c.ID}).RequireCode(t, "NOT_FOUND")
	if got := bodies(t, a, g, "GUARDIAN_UNLINKED"); len(got) != 1 {
		t.Fatalf("guardian told %v", got)
	}
	// Again: the ended link, nothing new.
	a.Query(t, a.Token(t, admin), unlinkMutation, map[string]any{"a": c.Apprentice.ID, "g": g.ID}).Decode(t, &d)
	if a.AuditCount(t, "guardian.unlinked", d.UnlinkGuardian.ID.String()) != 1 {
		t.Fatal("unlinked twice")
	}
	a.Query(t, a.Token(t, admin), unlinkMutation, map[string]any{"a": c.Apprentice.ID, "g": uuid.New()}).RequireCode(t, "NOT_FOUND")
	// The apprentice cannot bring back a link an admin ended.
	a.Query(t, a.Token(t, c.Apprentice), confirmMutation, map[string]any{"g": g.ID}).RequireCode(t, "NOT_FOUND")

	// The links stay listed, with their history, to the admin and the
	// apprentice; admins alone see who made them.
	var l struct {
		GuardianLinks []struct {
			Status   string
			LinkedBy *struct{ ID uuid.UUID }
		}
	}
	a.Query(t, a.Token(t, c.Apprentice), `{ guardianLinks { status linkedBy { id } } }`, nil).Decode(t, &l)
	if len(l.GuardianLinks) != 1 || l.GuardianLinks[0].Status != "ENDED" || l.GuardianLinks[0].LinkedBy != nil {
		t.Fatalf("apprentice's links %+v", l)
	}
	a.Query(t, a.Token(t, admin), `{ guardianLinks { id } }`, nil).RequireCode(t, "VALIDATION_FAILED")
	a.Query(t, a.Token(t, c.Tutor), `{ guardianLinks { id } }`, nil).RequireCode(t, "FORBIDDEN")
}

// What a guardian sees of their ward's contract, and what they do not.
func TestWhatAGuardianSees(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	g := a.NewGuardian(t, c.Apprentice)
	gt := a.Token(t, g)
	outsider := a.NewGuardian(t, a.NewContract(t).Apprentice)
	ot := a.Token(t, outsider)

	// Contract: company, trade, dates, status.
	var ct struct {
		Contract struct {
			Status    string
			StartDate string
			Company   struct{ Name string }
			Trade     struct{ Name string }
		}
	}
	a.Query(t, gt, contractQuery, map[string]any{"id": c.ID}).Decode(t, &ct)
	if ct.Contract.Status != "ACTIVE" || ct.Contract.Company.Name == "" || ct.Contract.Trade.Name == "" || ct.Contract.StartDate == "" {
		t.Fatalf("contract %+v", ct)
	}
	a.Query(t, ot, contractQuery, map[string]any{"id": c.ID}).RequireCode(t, "NOT_FOUND")

	// Visits: when, where and status, not the adviser's report nor why a
	// visit was cancelled.
	done := a.NewVisit(t, c, testapp.VisitOpts{StartsAt: testapp.Start.Add(-72 * time.Hour), Status: "DONE"})
	cancelled := a.NewVisit(t, c, testapp.VisitOpts{StartsAt: testapp.Start.Add(72 * time.Hour), Status: "CANCELLED"})
	var vs struct {
		Contract struct {
			Visits struct {
				Nodes []struct {
					ID           uuid.UUID
					Status       string
					Place        string
					Report       *struct{ Summary string }
					CancelReason *string
				}
			}
		}
	}
	const visitsQuery = `query($id: ID!) { contract(id: $id) { visits { nodes { id status place report { summary } cancelReason } } } }`
	a.Query(t, gt, visitsQuery, map[string]any{"id": c.ID}).Decode(t, &vs)
	if len(vs.Contract.Visits.Nodes) != 2 {
		t.Fatalf("visits %+v", vs)
	}
	for _, v := range vs.Contract.Visits.Nodes {
		if v.Report != nil || v.CancelReason != nil || v.Place == "" {
			t.Fatalf("the guardian sees %+v", v)
		}
	}
	// The adviser does see them.
	a.Query(t, a.Token(t, c.Adviser), visitsQuery, map[string]any{"id": c.ID}).Decode(t, &vs)
	for _, v := range vs.Contract.Visits.Nodes {
		if (v.ID == done && v.Report == nil) || (v.ID == cancelled && v.CancelReason == nil) {
			t.Fatalf("the adviser misses %+v", v)
		}
	}
	var one struct {
		Visit struct{ Report *struct{ Summary string } }
	}
	a.Query(t, gt, `query($id: ID!) { visit(id: $id) { report { summary } } }`, map[string]any{"id": done}).Decode(t, &one)
	if one.Visit.Report != nil {
		t.Fatal("the guardian reads the report")
	}
	a.Query(t, ot, `query($id: ID!) { visit(id: $id) { id } }`, map[string]any{"id": done}).RequireCode(t, "NOT_FOUND")

	// Evaluations: once the tutor signed, with the PDF; before, they do not
	// exist for the guardian.
	draft := a.NewEvaluation(t, c, testapp.EvaluationOpts{Scored: true})
	signed := a.NewEvaluation(t, c, testapp.EvaluationOpts{Scored: true})
	a.Query(t, a.Token(t, c.Tutor), `mutation($id: ID!) { signEvaluation(id: $id) { status } }`, map[string]any{"id": signed.ID}).Decode(t, &struct{}{})
	var es struct {
		Evaluations struct {
			TotalCount int
			Nodes      []struct{ ID uuid.UUID }
		}
	}
	a.Query(t, gt, `query($c: ID!) { evaluations(contractId: $c) { totalCount nodes { id } } }`, map[string]any{"c": c.ID}).Decode(t, &es)
	if es.Evaluations.TotalCount != 1 || es.Evaluations.Nodes[0].ID != signed.ID {
		t.Fatalf("evaluations %+v", es)
	}
	a.Query(t, gt, `query($id: ID!) { evaluation(id: $id) { id } }`, map[string]any{"id": draft.ID}).RequireCode(t, "NOT_FOUND")
	var ev struct{ Evaluation struct{ PdfURL string } }
	a.Query(t, gt, `query($id: ID!) { evaluation(id: $id) { pdfUrl criteria { score } integrity { valid } } }`, map[string]any{"id": signed.ID}).Decode(t, &ev)
	pdf := func(id uuid.UUID, token string) int {
		req, _ := http.NewRequest(http.MethodGet, a.URL+"/evaluations/"+id.String()+".pdf", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if s := pdf(signed.ID, gt); s != http.StatusOK {
		t.Fatalf("signed PDF: %d", s)
	}
	if s := pdf(draft.ID, gt); s != http.StatusNotFound {
		t.Fatalf("unsigned PDF: %d", s)
	}
	if s := pdf(signed.ID, ot); s != http.StatusNotFound {
		t.Fatalf("another family's PDF: %d", s)
	}

	// Hours per week, always.
	entry := a.NewLogEntry(t, c, testapp.LogEntryOpts{Status: "SUBMITTED", Hours: 6})
	a.NewAttachment(t, entry, []byte("\xff\xd8\xff\xe0 photo"))
	var hs struct {
		Contract struct{ HoursSummary []struct{ Logged float64 } }
	}
	a.Query(t, gt, `query($id: ID!) { contract(id: $id) { hoursSummary(from: "2026-03-16", to: "2026-03-17") { logged } } }`,
		map[string]any{"id": c.ID}).Decode(t, &hs)
	if len(hs.Contract.HoursSummary) != 1 || hs.Contract.HoursSummary[0].Logged != 6 {
		t.Fatalf("hours %+v", hs)
	}

	// The log book only while the apprentice shares it.
	const entryQuery = `query($id: ID!) { logEntry(id: $id) { activities attachments { url } } }`
	a.Query(t, gt, entryQuery, map[string]any{"id": entry}).RequireCode(t, "NOT_FOUND")
	share := func(on bool) {
		var d struct{ SetGuardianSharing struct{ LogBook bool } }
		a.Query(t, a.Token(t, c.Apprentice), `mutation($on: Boolean!) { setGuardianSharing(logBook: $on) { logBook } }`,
			map[string]any{"on": on}).Decode(t, &d)
		if d.SetGuardianSharing.LogBook != on {
			t.Fatalf("sharing %+v", d)
		}
	}
	share(true)
	var le struct {
		LogEntry struct {
			Activities  string
			Attachments []struct{ URL string }
		}
	}
	a.Query(t, gt, entryQuery, map[string]any{"id": entry}).Decode(t, &le)
	if le.LogEntry.Activities == "" || len(le.LogEntry.Attachments) != 1 {
		t.Fatalf("shared entry %+v", le)
	}
	var links struct {
		GuardianLinks []struct{ LogBookShared bool }
	}
	a.Query(t, gt, `{ guardianLinks { logBookShared } }`, nil).Decode(t, &links)
	if len(links.GuardianLinks) != 1 || !links.GuardianLinks[0].LogBookShared {
		t.Fatalf("links %+v", links)
	}
	a.Query(t, ot, entryQuery, map[string]any{"id": entry}).RequireCode(t, "NOT_FOUND")
	share(false)
	a.Query(t, gt, entryQuery, map[string]any{"id": entry}).RequireCode(t, "NOT_FOUND")
	if a.AuditCount(t, "guardian.sharing_changed", c.Apprentice.ID.String()) != 2 {
		t.Fatal("sharing changes not audited")
	}

	// Open follow-ups of the apprentice, not the tutor's nor closed ones.
	for _, f := range []struct {
		owner  uuid.UUID
		status string
	}{{c.Apprentice.ID, "OPEN"}, {c.Apprentice.ID, "DONE"}, {c.Tutor.ID, "OPEN"}} {
		a.Exec(t, `INSERT INTO follow_ups (kind, contract_id, owner_id, subject_id, period, due_at, status)
			VALUES ('LOG_MISSING', $1, $2, gen_random_uuid(), '2026-W11', now(), $3)`, c.ID, f.owner, f.status)
	}
	var fu struct {
		FollowUps struct {
			TotalCount int
			Nodes      []struct {
				ID    uuid.UUID
				Kind  string
				Owner struct{ ID uuid.UUID }
			}
		}
	}
	a.Query(t, gt, `{ followUps { totalCount nodes { id kind owner { id } } } }`, nil).Decode(t, &fu)
	if fu.FollowUps.TotalCount != 1 || len(fu.FollowUps.Nodes) != 1 || fu.FollowUps.Nodes[0].Owner.ID != c.Apprentice.ID {
		t.Fatalf("follow-ups %+v", fu)
	}
	a.Query(t, gt, `{ followUps(status: DONE) { totalCount nodes { id } } }`, nil).Decode(t, &fu)
	if fu.FollowUps.TotalCount != 0 {
		t.Fatalf("closed follow-ups %+v", fu)
	}
	var ofu struct{ FollowUps struct{ TotalCount int } }
	a.Query(t, ot, `{ followUps { totalCount } }`, nil).Decode(t, &ofu)
	if ofu.FollowUps.TotalCount != 0 {
		t.Fatal("another family's guardian sees the follow-ups")
	}

	// Every write is FORBIDDEN; another family's guardian gets NOT_FOUND.
	a.Query(t, gt, `{ followUps { nodes { id } } }`, nil).Decode(t, &fu)
	writes := []struct {
		q    string
		vars map[string]any
	}{
		{`mutation($in: CreateLogEntryInput!) { createLogEntry(input: $in) { id } }`, map[string]any{"in": map[string]any{
			"clientId": uuid.New(), "contractId": c.ID, "date": "2026-03-16", "hours": 8, "activities": "x", "competencyIds": []any{c.Competencies[0]}}}},
		{`mutation($id: ID!) { reviewLogEntry(id: $id, input: {decision: VALIDATE}) { id } }`, map[string]any{"id": entry}},
		{`mutation($id: ID!) { confirmVisit(id: $id) { id } }`, map[string]any{"id": a.NewVisit(t, c)}},
		{`mutation($id: ID!) { signEvaluation(id: $id) { id } }`, map[string]any{"id": signed.ID}},
		{`mutation($id: ID!) { dismissFollowUp(id: $id) { id } }`, map[string]any{"id": fu.FollowUps.Nodes[0].ID}},
		{`mutation($id: ID!) { updateContractStatus(id: $id, status: SUSPENDED) { id } }`, map[string]any{"id": c.ID}},
		{`mutation { setGuardianSharing(logBook: true) { logBook } }`, nil},
	}
	for _, w := range writes {
		a.Query(t, gt, w.q, w.vars).RequireCode(t, "FORBIDDEN")
	}
	for _, w := range writes[:5] {
		a.Query(t, ot, w.q, w.vars).RequireCode(t, "NOT_FOUND")
	}
}

// Guardians are told when an evaluation is signed (by the tutor: it is
// final), a visit is scheduled or missed, the contract is suspended, ended
// or terminated, in their language; a guardian whose link ended is not.
func TestGuardianNotifications(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	g := a.NewGuardian(t, c.Apprentice, testapp.GuardianOpts{Locale: "NL"})
	ended := a.NewGuardian(t, c.Apprentice, testapp.GuardianOpts{Status: "ENDED"})
	admin := a.Token(t, a.NewUser(t, auth.Admin))

	tomorrow := testapp.Start.Add(24 * time.Hour)
	a.Query(t, a.Token(t, c.Adviser), `mutation($in: ScheduleVisitInput!) { scheduleVisit(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"contractId": c.ID, "startsAt": tomorrow.Format(time.RFC3339),
			"endsAt": tomorrow.Add(time.Hour).Format(time.RFC3339), "purpose": "Suivi", "place": "Atelier"}}).Decode(t, &struct{}{})
	e := a.NewEvaluation(t, c, testapp.EvaluationOpts{Scored: true})
	a.Query(t, a.Token(t, c.Tutor), `mutation($id: ID!) { signEvaluation(id: $id) { status } }`, map[string]any{"id": e.ID}).Decode(t, &struct{}{})
	a.Query(t, a.Token(t, c.Apprentice), `mutation($id: ID!) { signEvaluation(id: $id) { status } }`, map[string]any{"id": e.ID}).Decode(t, &struct{}{})
	a.NewVisit(t, c, testapp.VisitOpts{StartsAt: testapp.Start.Add(-72 * time.Hour)})
	if n, err := a.Visits.MarkMissed(context.Background()); err != nil || n != 1 {
		t.Fatalf("mark missed: %d %v", n, err)
	}
	for _, s := range []string{"SUSPENDED", "ACTIVE", "TERMINATED"} {
		a.Query(t, admin, `mutation($id: ID!, $s: ContractStatus!) { updateContractStatus(id: $id, status: $s) { id } }`,
			map[string]any{"id": c.ID, "s": s}).Decode(t, &struct{}{})
	}
	// (One each: the apprentice's signature tells the guardians nothing
	// new; reactivating the contract is not among the events.)
	want := []string{"GUARDIAN_CONTRACT_SUSPENDED", "GUARDIAN_CONTRACT_TERMINATED", "GUARDIAN_EVALUATION_SIGNED",
		"GUARDIAN_VISIT_MISSED", "GUARDIAN_VISIT_SCHEDULED"}
	got := kinds(t, a, g)
	slices.Sort(got)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("guardian told %v, want %v", got, want)
	}
	if b := bodies(t, a, g, "GUARDIAN_VISIT_SCHEDULED"); len(b) != 1 || !strings.Contains(b[0], "Bezoek gepland") ||
		!strings.Contains(b[0], "Test APPRENTICE") || !strings.Contains(b[0], "19/03/2026 10:00") {
		t.Fatalf("localized text %v", b)
	}
	if got := kinds(t, a, ended); len(got) != 0 {
		t.Fatalf("an ended guardian is told %v", got)
	}
	// Deep links the guardian may follow.
	var d struct {
		Notifications struct{ Nodes []struct{ Kind, Link string } }
	}
	a.Query(t, a.Token(t, g), `{ notifications { nodes { kind link } } }`, nil).Decode(t, &d)
	for _, n := range d.Notifications.Nodes {
		if n.Kind == "GUARDIAN_EVALUATION_SIGNED" && n.Link != "jalon://evaluations/"+e.ID.String() {
			t.Fatalf("link %q", n.Link)
		}
	}
	// The ended contract: still visible (history), unchanged.
	a.Query(t, a.Token(t, g), contractQuery, map[string]any{"id": c.ID}).Decode(t, &struct{}{})
}
