package authzmatrix_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"jalon/internal/auth"
	"jalon/internal/testapp"
	"jalon/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// Row is one operation of the matrix.
type Row struct {
	Name string
	// Prepare creates what the operation acts on, inside contract c (a fresh
	// contract for every caller tried), and returns the GraphQL document and
	// its variables.
	Prepare func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (query string, vars map[string]any)
	// Allowed are the parts of the contract (APPRENTICE, TUTOR, ADVISER, and
	// GUARDIAN: a guardian with an active link to the apprentice) and ADMIN
	// that may run the operation. Other members get FORBIDDEN, but for a
	// guardian's reads, which are NOT_FOUND (what a guardian may not read
	// does not exist for them); callers outside the contract get NOT_FOUND.
	Allowed []auth.Role
	// AdminOnly rows are role-only operations: every non-admin gets
	// FORBIDDEN, wherever they stand.
	AdminOnly bool
	// RoleOnly rows are operations allowed to these roles whatever the
	// contract (Allowed is ignored): members and outsiders holding one of
	// them succeed (an outsider must see nothing of c: Outsider is
	// required), every other role gets FORBIDDEN, wherever they stand.
	RoleOnly []auth.Role
	// Check, when set, runs after an allowed caller succeeded.
	Check func(t *testing.T, res testapp.Response)
	// MemberCheck, when set, runs after an allowed member succeeded, with
	// the contract and the member's role (ADMIN: an admin outside it).
	MemberCheck func(t *testing.T, res testapp.Response, c testapp.Contract, role auth.Role)
	// Expect overrides, per role, the error code of a member who is not
	// allowed (FORBIDDEN unless given), e.g. CONFLICT for a signer whose
	// signature is already there.
	Expect map[auth.Role]string
	// Guardian, when set, marks a read a guardian member may run but that
	// shows them less than the parties see (a log book not shared, an
	// evaluation not signed yet): the guardian succeeds and Guardian checks
	// what they see.
	Guardian func(t *testing.T, res testapp.Response, c testapp.Contract)
	// OutsiderExpect overrides, per role, the error code of a caller outside
	// the contract (NOT_FOUND unless given), e.g. FORBIDDEN for an
	// operation no one of that role may run.
	OutsiderExpect map[auth.Role]string
	// File, when set, is sent as a GraphQL multipart request with the file
	// bound to variable FileVar (upload mutations).
	File    []byte
	FileVar string
	// Outsider, when set, marks an operation every caller may run (me,
	// lists): a caller outside c must succeed, and Outsider checks that
	// nothing of c shows, instead of expecting NOT_FOUND.
	Outsider func(t *testing.T, res testapp.Response, c testapp.Contract)
}

// run sends the row's operation as the caller holding token.
func (r Row) run(t *testing.T, a *testapp.TestApp, token, q string, vars map[string]any) testapp.Response {
	if r.File != nil {
		return a.Upload(t, token, q, vars, r.FileVar, "file", r.File)
	}
	return a.Query(t, token, q, vars)
}

var (
	rowsMu sync.Mutex
	rows   []Row
)

// register adds rows; each *_rows_test.go calls it from init.
func register(rs ...Row) {
	rowsMu.Lock()
	defer rowsMu.Unlock()
	rows = append(rows, rs...)
}

func allowed(r Row, role auth.Role) bool {
	if r.AdminOnly && role == auth.Admin {
		return true
	}
	if r.RoleOnly != nil {
		return slices.Contains(r.RoleOnly, role)
	}
	for _, a := range r.Allowed {
		if a == role {
			return true
		}
	}
	return false
}

func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	for _, row := range rows {
		t.Run(row.Name, func(t *testing.T) {
			t.Parallel()
			members := []auth.Role{auth.Apprentice, auth.Tutor, auth.Adviser, auth.Admin, auth.Guardian}
			for _, role := range members {
				t.Run("member "+string(role), func(t *testing.T) {
					c := a.NewContract(t)
					q, vars := row.Prepare(t, a, c)
					caller := memberOf(t, a, c, role)
					res := row.run(t, a, a.Token(t, caller), q, vars)
					switch {
					case row.AdminOnly && role != auth.Admin:
						res.RequireCode(t, "FORBIDDEN")
					case allowed(row, role):
						if len(res.Errors) > 0 {
							t.Fatalf("%s should be allowed: %+v", role, res.Errors)
						}
						noNullField(t, res)
						if row.Check != nil {
							row.Check(t, res)
						}
						if row.MemberCheck != nil {
							row.MemberCheck(t, res, c, role)
						}
					case role == auth.Guardian && row.Guardian != nil:
						if len(res.Errors) > 0 {
							t.Fatalf("the guardian should read (less): %+v", res.Errors)
						}
						noNullField(t, res)
						row.Guardian(t, res, c)
					default:
						res.RequireCode(t, refusal(row, role, q))
					}
				})
			}
			if row.AdminOnly {
				return
			}
			if row.RoleOnly != nil && row.Outsider == nil {
				t.Fatal("a RoleOnly row needs an Outsider check")
			}
			for _, role := range []auth.Role{auth.Apprentice, auth.Tutor, auth.Adviser, auth.Guardian} {
				t.Run("outsider "+string(role), func(t *testing.T) {
					c := a.NewContract(t)
					q, vars := row.Prepare(t, a, c)
					other := a.NewContract(t)
					res := row.run(t, a, a.Token(t, memberOf(t, a, other, role)), q, vars)
					if row.RoleOnly != nil && !allowed(row, role) {
						res.RequireCode(t, "FORBIDDEN")
						return
					}
					if code := row.OutsiderExpect[role]; code != "" {
						res.RequireCode(t, code)
						return
					}
					if row.Outsider != nil {
						if len(res.Errors) > 0 {
							t.Fatalf("%s outsider should succeed: %+v", role, res.Errors)
						}
						noNullField(t, res)
						row.Outsider(t, res, c)
						return
					}
					res.RequireCode(t, "NOT_FOUND")
				})
			}
		})
	}
}

// noNullField fails when a top-level field of a successful response is null:
// an allowed caller getting null (e.g. logEntry(id) answering nothing) is not
// a success.
func noNullField(t *testing.T, res testapp.Response) {
	t.Helper()
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(res.Data, &fields); err != nil {
		t.Fatalf("data %s: %v", res.Data, err)
	}
	if len(fields) == 0 {
		t.Fatalf("no data: %s", res.Data)
	}
	for name, v := range fields {
		if string(v) == "null" {
			t.Fatalf("%s is null for an allowed caller: %s", name, res.Data)
		}
	}
}

// refusal is the code a member of the contract who may not run the
// operation gets: Expect's, else FORBIDDEN, but NOT_FOUND for a guardian's
// read that is neither allowed nor role-only (issue 17: every write is
// FORBIDDEN to a guardian, anything else NOT_FOUND).
func refusal(r Row, role auth.Role, query string) string {
	switch {
	case r.Expect[role] != "":
		return r.Expect[role]
	case r.AdminOnly || r.RoleOnly != nil:
		return "FORBIDDEN"
	case role == auth.Guardian && !strings.HasPrefix(strings.TrimSpace(query), "mutation"):
		return "NOT_FOUND"
	}
	return "FORBIDDEN"
}

// memberOf returns the user playing role in c (a new admin for ADMIN, a new
// guardian linked to c's apprentice for GUARDIAN).
func memberOf(t *testing.T, a *testapp.TestApp, c testapp.Contract, role auth.Role) testapp.User {
	switch role {
	case auth.Guardian:
		return a.NewGuardian(t, c.Apprentice)
	case auth.Apprentice:
		return c.Apprentice
	case auth.Tutor:
		return c.Tutor
	case auth.Adviser:
		return c.Adviser
	case auth.Admin:
		return a.NewUser(t, auth.Admin)
	}
	panic(fmt.Sprint("unknown role ", role))
}

// everyone are the parties and admins; withGuardian adds the apprentice's
// guardian, for what a guardian reads too.
var (
	everyone     = []auth.Role{auth.Apprentice, auth.Tutor, auth.Adviser, auth.Admin}
	withGuardian = []auth.Role{auth.Apprentice, auth.Tutor, auth.Adviser, auth.Admin, auth.Guardian}
)
