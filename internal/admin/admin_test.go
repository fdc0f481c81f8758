package admin_test

import (
	"context"
	"github.com/jackc/pgx/v5"
	"strings"
	"testing"
	"time"

	"jalon/internal/auth"
	"jalon/internal/testapp"
	"jalon/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// expect checks an error's code and field.
func expect(t *testing.T, res testapp.Response, code, field string) {
	t.Helper()
	res.RequireCode(t, code)
	if field != "" && res.Field() != field {
		t.Fatalf("want field %q, got %q (%+v)", field, res.Field(), res.Errors)
	}
}

const createUser = `mutation($in: CreateUserInput!) { createUser(input: $in) { id email role locale active company { id } birthDate } }`

func TestCreateUpdateUser(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	admin := a.Token(t, a.NewUser(t, auth.Admin))
	company := a.NewCompany(t)
	in := func(mod func(map[string]any)) map[string]any {
		m := map[string]any{"email": "Jean.Tuteur@example.test", "firstName": "Jean", "lastName": "Tuteur",
			"role": "TUTOR", "companyId": company, "locale": "NL", "password": "a good long password"}
		if mod != nil {
			mod(m)
		}
		return map[string]any{"in": m}
	}
	for _, c := range []struct {
		name  string
		mod   func(map[string]any)
		code  string
		field string
	}{
		{"bad e-mail", func(m map[string]any) { m["email"] = "not-an-address" }, "VALIDATION_FAILED", "email"},
		{"no first name", func(m map[string]any) { m["firstName"] = " " }, "VALIDATION_FAILED", "firstName"},
		{"tutor without company", func(m map[string]any) { delete(m, "companyId") }, "VALIDATION_FAILED", "companyId"},
		{"unknown company", func(m map[string]any) { m["companyId"] = "00000000-0000-4000-8000-000000000000" }, "VALIDATION_FAILED", "companyId"},
		{"adviser with company", func(m map[string]any) { m["role"] = "ADVISER" }, "VALIDATION_FAILED", "companyId"},
		{"birth date of a tutor", func(m map[string]any) { m["birthDate"] = "2000-01-01" }, "VALIDATION_FAILED", "birthDate"},
		{"short password", func(m map[string]any) { m["password"] = "short" }, "VALIDATION_FAILED", "password"},
		// A value the schema's enum has not: the variable does not coerce.
		{"unknown role", func(m map[string]any) { m["role"] = "BOSS" }, "BAD_USER_INPUT", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			expect(t, a.Query(t, admin, createUser, in(c.mod)), c.code, c.field)
		})
	}
	// Non-admins are FORBIDDEN, anonymous UNAUTHENTICATED.
	expect(t, a.Query(t, a.Token(t, a.NewUser(t, auth.Adviser)), createUser, in(nil)), "FORBIDDEN", "")
	expect(t, a.Query(t, "", createUser, in(nil)), "UNAUTHENTICATED", "")

	var out struct {
		CreateUser struct {
			ID, Email, Role, Locale string
			Active                  bool
			Company                 struct{ ID string }
		}
	}
	a.Query(t, admin, createUser, in(nil)).Decode(t, &out)
	u := out.CreateUser
	if u.Role != "TUTOR" || u.Locale != "NL" || !u.Active || u.Company.ID != company.String() {
		t.Fatalf("created %+v", u)
	}
	if a.AuditCount(t, "user.created", u.ID) != 1 {
		t.Fatal("no audit row for user.created")
	}
	// The password given works at once.
	a.Login(t, "jean.tuteur@example.test", "a good long password")
	// The same address in another case is a CONFLICT.
	expect(t, a.Query(t, admin, createUser, in(func(m map[string]any) { m["email"] = "JEAN.TUTEUR@example.test" })), "CONFLICT", "email")

	// An apprentice with a birth date, default locale, no password.
	var app struct {
		CreateUser struct{ ID, Locale, BirthDate string }
	}
	a.Query(t, admin, createUser, map[string]any{"in": map[string]any{"email": "lea@example.test", "firstName": "Léa",
		"lastName": "S", "role": "APPRENTICE", "birthDate": "2009-07-30"}}).Decode(t, &app)
	if app.CreateUser.Locale != "FR" || app.CreateUser.BirthDate != "2009-07-30" {
		t.Fatalf("apprentice %+v", app.CreateUser)
	}
	if res := a.Query(t, admin, createUser, map[string]any{"in": map[string]any{"email": "kid@example.test", "firstName": "K",
		"lastName": "S", "role": "APPRENTICE", "birthDate": "2030-01-01"}}); res.Field() != "birthDate" {
		t.Fatalf("future birth date: %+v", res.Errors)
	}

	update := `mutation($id: ID!, $in: UpdateUserInput!) { updateUser(id: $id, input: $in) { email firstName phone role company { id } } }`
	var upd struct {
		UpdateUser struct {
			Email, FirstName, Phone, Role string
			Company                       *struct{ ID string }
		}
	}
	a.Query(t, admin, update, map[string]any{"id": u.ID, "in": map[string]any{"firstName": "Jan", "phone": "+32 470 12 34 56"}}).Decode(t, &upd)
	if upd.UpdateUser.FirstName != "Jan" || upd.UpdateUser.Email != "Jean.Tuteur@example.test" || upd.UpdateUser.Phone != "+32 470 12 34 56" {
		t.Fatalf("updated %+v", upd.UpdateUser)
	}
	expect(t, a.Query(t, admin, update, map[string]any{"id": u.ID, "in": map[string]any{"email": "lea@EXAMPLE.test"}}), "CONFLICT", "email")
	expect(t, a.Query(t, admin, update, map[string]any{"id": u.ID, "in": map[string]any{"email": "nope"}}), "VALIDATION_FAILED", "email")
	// A tutor who becomes an adviser leaves their company.
	a.Query(t, admin, update, map[string]any{"id": u.ID, "in": map[string]any{"role": "ADVISER"}}).Decode(t, &upd)
	if upd.UpdateUser.Role != "ADVISER" || upd.UpdateUser.Company != nil {
		t.Fatalf("role change %+v", upd.UpdateUser)
	}
	expect(t, a.Query(t, admin, update, map[string]any{"id": u.ID, "in": map[string]any{"role": "TUTOR"}}), "VALIDATION_FAILED", "companyId")
	// Someone party to a contract keeps their role.
	c := a.NewContract(t)
	expect(t, a.Query(t, admin, update, map[string]any{"id": c.Tutor.ID, "in": map[string]any{"role": "ADVISER"}}), "CONFLICT", "")
	expect(t, a.Query(t, admin, update, map[string]any{"id": "00000000-0000-4000-8000-000000000000", "in": map[string]any{}}), "NOT_FOUND", "")
	if a.AuditCount(t, "user.updated", u.ID) != 2 {
		t.Fatal("want two user.updated audit rows")
	}
}

const createCompany = `mutation($in: CreateCompanyInput!) { createCompany(input: $in) { id enterpriseNumber country latitude } }`

func TestCreateCompanyCentreTrade(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	admin := a.Token(t, a.NewUser(t, auth.Admin))
	company := func(num string, extra map[string]any) map[string]any {
		m := map[string]any{"name": "Boulangerie Test", "enterpriseNumber": num, "city": "Liège"}
		for k, v := range extra {
			m[k] = v
		}
		return map[string]any{"in": m}
	}
	expect(t, a.Query(t, admin, createCompany, company("0417.497.107", nil)), "VALIDATION_FAILED", "enterpriseNumber")
	expect(t, a.Query(t, admin, createCompany, company("12345", nil)), "VALIDATION_FAILED", "enterpriseNumber")
	expect(t, a.Query(t, admin, createCompany, company("0417.497.106", map[string]any{"name": ""})), "VALIDATION_FAILED", "name")
	expect(t, a.Query(t, admin, createCompany, company("0417.497.106", map[string]any{"latitude": 91.0, "longitude": 4.0})), "VALIDATION_FAILED", "latitude")
	expect(t, a.Query(t, admin, createCompany, company("0417.497.106", map[string]any{"latitude": 50.0})), "VALIDATION_FAILED", "latitude")
	expect(t, a.Query(t, admin, createCompany, company("0417.497.106", map[string]any{"country": "Belgium"})), "VALIDATION_FAILED", "country")
	expect(t, a.Query(t, a.Token(t, a.NewUser(t, auth.Tutor)), createCompany, company("0417.497.106", nil)), "FORBIDDEN", "")

	var out struct {
		CreateCompany struct {
			ID, EnterpriseNumber, Country string
			Latitude                      float64
		}
	}
	a.Query(t, admin, createCompany, company("BE0417.497.106", map[string]any{"latitude": 50.63, "longitude": 5.57})).Decode(t, &out)
	if out.CreateCompany.EnterpriseNumber != "0417497106" || out.CreateCompany.Country != "BE" || out.CreateCompany.Latitude != 50.63 {
		t.Fatalf("company %+v", out.CreateCompany)
	}
	if a.AuditCount(t, "company.created", out.CreateCompany.ID) != 1 {
		t.Fatal("no audit row")
	}
	// Written another way, it is the same company.
	expect(t, a.Query(t, admin, createCompany, company("0417 497 106", nil)), "CONFLICT", "enterpriseNumber")

	centre := `mutation($in: CreateTrainingCentreInput!) { createTrainingCentre(input: $in) { id name city } }`
	expect(t, a.Query(t, admin, centre, map[string]any{"in": map[string]any{"name": "  "}}), "VALIDATION_FAILED", "name")
	expect(t, a.Query(t, admin, centre, map[string]any{"in": map[string]any{"name": "X", "postalCode": strings.Repeat("9", 30)}}), "VALIDATION_FAILED", "postalCode")
	var ce struct {
		CreateTrainingCentre struct{ ID, Name, City string }
	}
	a.Query(t, admin, centre, map[string]any{"in": map[string]any{"name": "IFAPME Liège", "city": "Liège"}}).Decode(t, &ce)
	if ce.CreateTrainingCentre.City != "Liège" || a.AuditCount(t, "centre.created", ce.CreateTrainingCentre.ID) != 1 {
		t.Fatalf("centre %+v", ce)
	}

	trade := `mutation($in: CreateTradeInput!) { createTrade(input: $in) { id code name competencies { code title group } } }`
	comps := []map[string]any{{"code": "BOU-01", "title": "Pétrir", "group": "Pâte"}, {"code": "BOU-02", "title": "Façonner"}}
	expect(t, a.Query(t, admin, trade, map[string]any{"in": map[string]any{"code": "BOU", "name": "Boulanger",
		"competencies": []map[string]any{comps[0], comps[0]}}}), "VALIDATION_FAILED", "competencies.1.code")
	expect(t, a.Query(t, admin, trade, map[string]any{"in": map[string]any{"code": "BOU", "name": "Boulanger",
		"competencies": []map[string]any{{"code": "X", "title": ""}}}}), "VALIDATION_FAILED", "competencies.0.title")
	expect(t, a.Query(t, admin, trade, map[string]any{"in": map[string]any{"code": "", "name": "Boulanger", "competencies": comps}}), "VALIDATION_FAILED", "code")
	var tr struct {
		CreateTrade struct {
			ID, Code     string
			Competencies []struct{ Code, Title, Group string }
		}
	}
	a.Query(t, admin, trade, map[string]any{"in": map[string]any{"code": "bou", "name": "Boulanger", "competencies": comps}}).Decode(t, &tr)
	if tr.CreateTrade.Code != "BOU" || len(tr.CreateTrade.Competencies) != 2 || tr.CreateTrade.Competencies[0].Group != "Pâte" || tr.CreateTrade.Competencies[1].Code != "BOU-02" {
		t.Fatalf("trade %+v", tr.CreateTrade)
	}
	expect(t, a.Query(t, admin, trade, map[string]any{"in": map[string]any{"code": "BOU", "name": "Again", "competencies": comps}}), "CONFLICT", "code")
	if a.AuditCount(t, "trade.created", tr.CreateTrade.ID) != 1 {
		t.Fatal("no audit row")
	}
}

const createContract = `mutation($in: CreateContractInput!) { createContract(input: $in) { id status startDate endDate weeklyHours apprentice { id } tutor { id } } }`

func TestCreateContractRules(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	admin := a.Token(t, a.NewUser(t, auth.Admin))
	existing := a.NewContract(t) // gives a company, tutor, adviser, centre, trade
	apprentice := a.NewUser(t, auth.Apprentice)
	in := func(mod func(map[string]any)) map[string]any {
		m := map[string]any{"apprenticeId": apprentice.ID, "tutorId": existing.Tutor.ID, "adviserId": existing.Adviser.ID,
			"companyId": existing.CompanyID, "centreId": existing.CentreID, "tradeId": existing.TradeID,
			"startDate": "2026-09-01", "endDate": "2028-08-31", "weeklyHours": 30.5}
		if mod != nil {
			mod(m)
		}
		return map[string]any{"in": m}
	}
	otherCompany := a.NewCompany(t)
	for _, c := range []struct {
		name  string
		mod   func(map[string]any)
		code  string
		field string
	}{
		{"end before start", func(m map[string]any) { m["endDate"] = "2026-08-31" }, "VALIDATION_FAILED", "endDate"},
		{"end equals start", func(m map[string]any) { m["endDate"] = "2026-09-01" }, "VALIDATION_FAILED", "endDate"},
		{"no hours", func(m map[string]any) { m["weeklyHours"] = 0 }, "VALIDATION_FAILED", "weeklyHours"},
		{"too many hours", func(m map[string]any) { m["weeklyHours"] = 61 }, "VALIDATION_FAILED", "weeklyHours"},
		{"apprentice is a tutor", func(m map[string]any) { m["apprenticeId"] = existing.Tutor.ID }, "VALIDATION_FAILED", "apprenticeId"},
		{"tutor is an adviser", func(m map[string]any) { m["tutorId"] = existing.Adviser.ID }, "VALIDATION_FAILED", "tutorId"},
		{"adviser is an apprentice", func(m map[string]any) { m["adviserId"] = apprentice.ID }, "VALIDATION_FAILED", "adviserId"},
		{"tutor of another company", func(m map[string]any) { m["companyId"] = otherCompany }, "VALIDATION_FAILED", "tutorId"},
		{"unknown centre", func(m map[string]any) { m["centreId"] = "00000000-0000-4000-8000-000000000000" }, "VALIDATION_FAILED", "centreId"},
		{"unknown trade", func(m map[string]any) { m["tradeId"] = "00000000-0000-4000-8000-000000000000" }, "VALIDATION_FAILED", "tradeId"},
		{"unknown apprentice", func(m map[string]any) { m["apprenticeId"] = "00000000-0000-4000-8000-000000000000" }, "VALIDATION_FAILED", "apprenticeId"},
		{"apprentice with an active contract", func(m map[string]any) { m["apprenticeId"] = existing.Apprentice.ID }, "CONFLICT", "apprenticeId"},
		{"bad date", func(m map[string]any) { m["startDate"] = "01/09/2026" }, "VALIDATION_FAILED", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			expect(t, a.Query(t, admin, createContract, in(c.mod)), c.code, c.field)
		})
	}
	expect(t, a.Query(t, a.Token(t, existing.Adviser), createContract, in(nil)), "FORBIDDEN", "")

	var out struct {
		CreateContract struct {
			ID, Status, StartDate, EndDate string
			WeeklyHours                    float64
		}
	}
	a.Query(t, admin, createContract, in(nil)).Decode(t, &out)
	c := out.CreateContract
	if c.Status != "ACTIVE" || c.StartDate != "2026-09-01" || c.EndDate != "2028-08-31" || c.WeeklyHours != 30.5 {
		t.Fatalf("contract %+v", c)
	}
	if a.AuditCount(t, "contract.created", c.ID) != 1 {
		t.Fatal("no audit row")
	}
	// The new members see it.
	var seen struct{ Contract struct{ ID string } }
	a.Query(t, a.Token(t, apprentice), `query($id: ID!) { contract(id: $id) { id } }`, map[string]any{"id": c.ID}).Decode(t, &seen)

	// A second ACTIVE contract for the same apprentice is a CONFLICT.
	expect(t, a.Query(t, admin, createContract, in(nil)), "CONFLICT", "apprenticeId")
	// A deactivated tutor cannot take a new apprentice.
	a.Exec(t, `UPDATE users SET active = false WHERE id = $1`, existing.Tutor.ID)
	expect(t, a.Query(t, admin, createContract, in(func(m map[string]any) { m["apprenticeId"] = a.NewUser(t, auth.Apprentice).ID })), "VALIDATION_FAILED", "tutorId")
}

func TestUpdateContractStatus(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	admin := a.Token(t, a.NewUser(t, auth.Admin))
	c := a.NewContract(t)
	set := func(id any, status string) testapp.Response {
		return a.Query(t, admin, `mutation($id: ID!, $s: ContractStatus!) { updateContractStatus(id: $id, status: $s) { id status } }`,
			map[string]any{"id": id, "s": status})
	}
	var out struct{ UpdateContractStatus struct{ Status string } }
	set(c.ID, "SUSPENDED").Decode(t, &out)
	if out.UpdateContractStatus.Status != "SUSPENDED" {
		t.Fatalf("status %s", out.UpdateContractStatus.Status)
	}
	expect(t, set(c.ID, "DRAFT"), "VALIDATION_FAILED", "status")
	// While suspended, the apprentice gets another contract; reactivating the
	// first one would make two ACTIVE contracts.
	tutor := c.Tutor
	var created struct{ CreateContract struct{ ID string } }
	a.Query(t, admin, createContract, map[string]any{"in": map[string]any{"apprenticeId": c.Apprentice.ID, "tutorId": tutor.ID,
		"adviserId": c.Adviser.ID, "companyId": c.CompanyID, "centreId": c.CentreID, "tradeId": c.TradeID,
		"startDate": "2026-04-01", "endDate": "2027-04-01", "weeklyHours": 20}}).Decode(t, &created)
	expect(t, set(c.ID, "ACTIVE"), "CONFLICT", "apprenticeId")
	set(created.CreateContract.ID, "ENDED").Decode(t, &out)
	set(c.ID, "ACTIVE").Decode(t, &out)
	expect(t, set(created.CreateContract.ID, "ACTIVE"), "VALIDATION_FAILED", "status") // ENDED is final
	expect(t, set("00000000-0000-4000-8000-000000000000", "ENDED"), "NOT_FOUND", "")
	var n int
	a.Pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'contract.status_changed' AND target_id = $1`, c.ID.String()).Scan(&n)
	if n != 2 {
		t.Fatalf("want 2 status audit rows, got %d", n)
	}
	// Members cannot change it.
	res := a.Query(t, a.Token(t, c.Adviser), `mutation($id: ID!) { updateContractStatus(id: $id, status: ENDED) { id } }`, map[string]any{"id": c.ID})
	expect(t, res, "FORBIDDEN", "")
}

// Creating a contract schedules its evaluations from its trade's templates,
// in the same transaction; reactivating it does not duplicate them.
func TestCreateContractSchedulesEvaluations(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	admin := a.Token(t, a.NewUser(t, auth.Admin))
	existing := a.NewContract(t)
	a.NewTemplate(t, existing) // months 3 and 6, and 30 days before the end
	apprentice := a.NewUser(t, auth.Apprentice)
	var out struct{ CreateContract struct{ ID string } }
	a.Query(t, admin, createContract, map[string]any{"in": map[string]any{"apprenticeId": apprentice.ID,
		"tutorId": existing.Tutor.ID, "adviserId": existing.Adviser.ID, "companyId": existing.CompanyID,
		"centreId": existing.CentreID, "tradeId": existing.TradeID,
		"startDate": "2026-09-01", "endDate": "2028-08-31", "weeklyHours": 30}}).Decode(t, &out)

	var list struct {
		Contract struct {
			Evaluations struct {
				TotalCount int
				Nodes      []struct{ DueDate, Status string }
			}
		}
	}
	q := `query($id: ID!) { contract(id: $id) { evaluations { totalCount nodes { dueDate status } } } }`
	a.Query(t, a.Token(t, apprentice), q, map[string]any{"id": out.CreateContract.ID}).Decode(t, &list)
	got := list.Contract.Evaluations
	if got.TotalCount != 3 || got.Nodes[0].DueDate != "2026-12-01" || got.Nodes[1].DueDate != "2027-03-01" ||
		got.Nodes[2].DueDate != "2028-08-01" || got.Nodes[0].Status != "SCHEDULED" {
		t.Fatalf("scheduled evaluations: %+v", got)
	}

	set := `mutation($id: ID!, $s: ContractStatus!) { updateContractStatus(id: $id, status: $s) { id } }`
	a.Query(t, admin, set, map[string]any{"id": out.CreateContract.ID, "s": "SUSPENDED"}).Decode(t, &struct{}{})
	a.Query(t, admin, set, map[string]any{"id": out.CreateContract.ID, "s": "ACTIVE"}).Decode(t, &struct{}{})
	a.Query(t, a.Token(t, apprentice), q, map[string]any{"id": out.CreateContract.ID}).Decode(t, &list)
	if list.Contract.Evaluations.TotalCount != 3 {
		t.Fatalf("reactivation duplicated evaluations: %d", list.Contract.Evaluations.TotalCount)
	}
}

// Moving a contract's dates moves the due dates of its evaluations not yet
// started, and leaves started ones where they are.
func TestUpdateContractDatesMovesScheduledEvaluations(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	admin := a.Token(t, a.NewUser(t, auth.Admin))
	c := a.NewContract(t, testapp.ContractOpts{
		StartDate: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), EndDate: time.Date(2028, 1, 5, 0, 0, 0, 0, time.UTC)})
	a.NewTemplate(t, c) // months 3 and 6, 30 days before the end
	set := `mutation($id: ID!, $s: ContractStatus!) { updateContractStatus(id: $id, status: $s) { id } }`
	a.Query(t, admin, set, map[string]any{"id": c.ID, "s": "SUSPENDED"}).Decode(t, &struct{}{})
	a.Query(t, admin, set, map[string]any{"id": c.ID, "s": "ACTIVE"}).Decode(t, &struct{}{}) // schedules
	// The 3-month evaluation is started.
	a.Exec(t, `UPDATE evaluations SET status = 'IN_PROGRESS' WHERE contract_id = $1 AND due_date = '2026-04-05'`, c.ID)

	move := `mutation($id: ID!, $in: UpdateContractDatesInput!) { updateContractDates(id: $id, input: $in) { startDate endDate } }`
	expect(t, a.Query(t, admin, move, map[string]any{"id": c.ID, "in": map[string]any{"startDate": "2026-02-01", "endDate": "2026-02-01"}}), "VALIDATION_FAILED", "endDate")
	expect(t, a.Query(t, a.Token(t, c.Adviser), move, map[string]any{"id": c.ID, "in": map[string]any{"startDate": "2026-02-01", "endDate": "2028-03-01"}}), "FORBIDDEN", "")
	var out struct {
		UpdateContractDates struct{ StartDate, EndDate string }
	}
	a.Query(t, admin, move, map[string]any{"id": c.ID, "in": map[string]any{"startDate": "2026-02-01", "endDate": "2028-03-01"}}).Decode(t, &out)
	if out.UpdateContractDates.StartDate != "2026-02-01" || out.UpdateContractDates.EndDate != "2028-03-01" {
		t.Fatalf("dates %+v", out.UpdateContractDates)
	}
	rows, err := a.Pool.Query(context.Background(), `SELECT due_date::text || ' ' || status FROM evaluations WHERE contract_id = $1 ORDER BY due_date`, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := pgx.CollectRows(rows, pgx.RowTo[string])
	want := []string{"2026-04-05 IN_PROGRESS", "2026-08-01 SCHEDULED", "2028-01-31 SCHEDULED"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Fatalf("evaluations after the move: %v, want %v", got, want)
	}
	if a.AuditCount(t, "contract.dates_changed", c.ID.String()) != 1 {
		t.Fatal("no audit row")
	}
}
