package admin_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"jalon/internal/admin"
	"jalon/internal/auth"
	"jalon/internal/testapp"
)

// FuzzImportContracts imports any bytes as a contracts CSV against a
// database holding the people, company, centre and trade the seeds name.
// Whatever the file, the import ends with contracts created, or with a
// report of bad rows (*ImportError), or a header it cannot read; never a
// panic or a database error. Seeds: testdata/fuzz/FuzzImportContracts.
//
//	go test ./internal/admin/ -run '^$' -fuzz FuzzImportContracts -fuzztime 20s
func FuzzImportContracts(f *testing.F) {
	header := strings.Join(admin.ImportColumns, ",")
	f.Add([]byte(header + "\napprentice1@example.test,tutor@example.test,adviser@example.test,0417497106,Centre Fuzz,FUZZ,2026-09-01,2028-08-31,28\n"))
	f.Add([]byte(header + "\r\nAPPRENTICE2@example.test,tutor@example.test,adviser@example.test,BE0417.497.106,Centre Fuzz,fuzz,2026-09-01,2027-08-31,\"30,5\"\r\n"))
	f.Add([]byte(header + "\nnobody@example.test,a,b,c,d,e,f,g,h\ntoo,few\n\"unclosed,x\n"))
	f.Add([]byte("\ufeff" + header + "\n"))
	a := testapp.New(f)
	base := a.NewContract(f)
	ap1, ap2 := a.NewUser(f, auth.Apprentice), a.NewUser(f, auth.Apprentice)
	a.Exec(f, `UPDATE users SET email = 'apprentice1@example.test' WHERE id = $1`, ap1.ID)
	a.Exec(f, `UPDATE users SET email = 'apprentice2@example.test' WHERE id = $1`, ap2.ID)
	a.Exec(f, `UPDATE users SET email = 'tutor@example.test' WHERE id = $1`, base.Tutor.ID)
	a.Exec(f, `UPDATE users SET email = 'adviser@example.test' WHERE id = $1`, base.Adviser.ID)
	a.Exec(f, `UPDATE companies SET enterprise_number = '0417497106' WHERE id = $1`, base.CompanyID)
	a.Exec(f, `UPDATE training_centres SET name = 'Centre Fuzz' WHERE id = $1`, base.CentreID)
	a.Exec(f, `UPDATE trades SET code = 'FUZZ' WHERE id = $1`, base.TradeID)
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := a.Admin.ImportContracts(context.Background(), strings.NewReader(string(data)))
		var bad *admin.ImportError
		if err != nil && !errors.As(err, &bad) && !strings.HasPrefix(err.Error(), "read CSV header") {
			t.Fatalf("%v", err)
		}
	})
}
