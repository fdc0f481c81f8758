package privacy_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/auth"
	"jalon/internal/testapp"
)

// textColumns lists every column of every table that can hold text.
func textColumns(t *testing.T, a *testapp.TestApp) [][3]string {
	t.Helper()
	rows, err := a.Pool.Query(context.Background(), `SELECT table_schema, table_name, column_name
		FROM information_schema.columns c
		WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
		  AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY', 'bytea', 'USER-DEFINED')
		  AND EXISTS (SELECT 1 FROM information_schema.tables tb WHERE tb.table_schema = c.table_schema
		      AND tb.table_name = c.table_name AND tb.table_type = 'BASE TABLE')`)
	if err != nil {
		t.Fatal(err)
	}
	cols, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([3]string, error) {
		var c [3]string
		return c, r.Scan(&c[0], &c[1], &c[2])
	})
	if err != nil || len(cols) < 20 {
		t.Fatalf("columns: %d, %v", len(cols), err)
	}
	return cols
}

// grepDatabase returns "schema.table.column" for every column of the whole
// database that holds needle (case-insensitive, bytea as UTF-8 text).
func grepDatabase(t *testing.T, a *testapp.TestApp, needle string) []string {
	t.Helper()
	var found []string
	for _, c := range textColumns(t, a) {
		ident := pgx.Identifier{c[0], c[1]}.Sanitize()
		col := pgx.Identifier{c[2]}.Sanitize()
		value := col + "::text"
		var isBytea bool
		if err := a.Pool.QueryRow(context.Background(), `SELECT data_type = 'bytea' FROM information_schema.columns
			WHERE table_schema = $1 AND table_name = $2 AND column_name = $3`, c[0], c[1], c[2]).Scan(&isBytea); err != nil {
			t.Fatal(err)
		}
		if isBytea {
			value = "encode(" + col + ", 'escape')"
		}
		var n int
		if err := a.Pool.QueryRow(context.Background(),
			`SELECT count(*) FROM `+ident+` WHERE strpos(lower(`+value+`), lower($1)) > 0`, needle).Scan(&n); err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		if n > 0 {
			found = append(found, strings.Join(c[:], "."))
		}
	}
	return found
}

// After eraseUser nothing in the database holds the person's e-mail (old or
// current), names or phone numbers: not the audit log (user.created,
// user.updated, throttled logins) nor the login throttle.
func TestEraseLeavesNoEmailNameOrPhone(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	admin := a.Token(t, a.NewUser(t, auth.Admin))
	tag := strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	oldEmail, newEmail := "zoe.old."+tag+"@example.test", "zoe.new."+tag+"@example.test"
	first, oldLast, newLast := "Zoéprénom"+tag, "Ancien"+tag, "Nouveau"+tag
	oldPhone, newPhone := "+32 470 "+tag[:6], "+32 499 "+tag[2:8]
	const password = "a long enough password"

	var created struct{ CreateUser struct{ ID string } }
	a.Query(t, admin, `mutation($in: CreateUserInput!) { createUser(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"email": oldEmail, "firstName": first, "lastName": oldLast, "role": "APPRENTICE", "phone": oldPhone,
		"password": password, "birthDate": "2008-05-01"}}).Decode(t, &created)
	id := created.CreateUser.ID
	// Throttled failures under the old address, then under the new one
	// (the old one now belongs to nobody).
	for i := 0; i < 6; i++ {
		a.Query(t, "", testapp.LoginMutation, map[string]any{"email": oldEmail, "password": "wrong guess"})
	}
	var updated struct{ UpdateUser struct{ ID string } }
	a.Query(t, admin, `mutation($id: ID!, $in: UpdateUserInput!) { updateUser(id: $id, input: $in) { id } }`, map[string]any{
		"id": id, "in": map[string]any{"email": newEmail, "lastName": newLast, "phone": newPhone}}).Decode(t, &updated)
	for i := 0; i < 6; i++ {
		a.Query(t, "", testapp.LoginMutation, map[string]any{"email": oldEmail, "password": "wrong guess"})
		a.Query(t, "", testapp.LoginMutation, map[string]any{"email": newEmail, "password": "wrong guess"})
	}
	if n := count(t, a, `SELECT count(*) FROM audit_log WHERE action = 'auth.login_throttled' AND target_type = 'account'`); n < 2 {
		t.Fatalf("the scenario should have throttled logins (%d entries)", n)
	}
	if n := count(t, a, `SELECT count(*) FROM login_failures WHERE scope = 'account'`); n == 0 {
		t.Fatal("the scenario should leave login failures")
	}

	var d struct{ EraseUser struct{ ID string } }
	a.Query(t, admin, eraseDoc, map[string]any{"id": id}).Decode(t, &d)

	for _, needle := range []string{oldEmail, newEmail, "zoe.old." + tag, "zoe.new." + tag, first, oldLast, newLast, oldPhone, newPhone} {
		if where := grepDatabase(t, a, needle); len(where) > 0 {
			t.Errorf("%q is still in %v", needle, where)
		}
	}
}
