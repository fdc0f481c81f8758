package testapp

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"jalon/internal/auth"
)

// User is a fixture user.
type User struct {
	ID    uuid.UUID
	Email string
	Role  auth.Role
}

// Contract is a fixture contract with its people and reference data.
type Contract struct {
	ID           uuid.UUID
	Apprentice   User
	Tutor        User
	Adviser      User
	CompanyID    uuid.UUID
	CentreID     uuid.UUID
	TradeID      uuid.UUID
	Competencies []uuid.UUID // the trade's framework, in order
	StartDate    time.Time
	EndDate      time.Time
}

// UserOpts are optional fields of NewUser.
type UserOpts struct {
	Locale    string
	CompanyID *uuid.UUID
	Password  string // stored as given in password_hash when set (identity tests hash it)
}

// NewUser inserts an active user with the role.
func (a *TestApp) NewUser(t testing.TB, role auth.Role, o ...UserOpts) User {
	t.Helper()
	var opt UserOpts
	if len(o) > 0 {
		opt = o[0]
	}
	if opt.Locale == "" {
		opt.Locale = "FR"
	}
	if role == auth.Tutor && opt.CompanyID == nil {
		c := a.NewCompany(t)
		opt.CompanyID = &c
	}
	id := uuid.New()
	email := fmt.Sprintf("%s-%s@example.test", role, id.String()[:8])
	var birth *time.Time
	if role == auth.Apprentice {
		b := time.Date(2008, 5, 4, 0, 0, 0, 0, time.UTC)
		birth = &b
	}
	a.Exec(t, `INSERT INTO users (id, email, first_name, last_name, locale, role, birth_date, company_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		id, email, "Test", string(role), opt.Locale, string(role), birth, opt.CompanyID)
	return User{ID: id, Email: email, Role: role}
}

// NewCompany inserts a company and returns its id.
func (a *TestApp) NewCompany(t testing.TB) uuid.UUID {
	t.Helper()
	id := uuid.New()
	a.Exec(t, `INSERT INTO companies (id, name, enterprise_number, street, postal_code, city, latitude, longitude)
		VALUES ($1, 'Menuiserie Test', $2, 'Rue Haute 1', '5000', 'Namur', 50.4669, 4.8675)`,
		id, "0"+id.String()[:9])
	return id
}

// NewTrade inserts a trade with n competencies and returns its id and theirs.
func (a *TestApp) NewTrade(t testing.TB, n int) (uuid.UUID, []uuid.UUID) {
	t.Helper()
	id := uuid.New()
	a.Exec(t, `INSERT INTO trades (id, code, name) VALUES ($1, $2, 'Menuisier')`, id, "T-"+id.String()[:8])
	comps := make([]uuid.UUID, n)
	for i := range comps {
		comps[i] = uuid.New()
		a.Exec(t, `INSERT INTO competencies (id, trade_id, code, title, grp, position) VALUES ($1, $2, $3, $4, 'Atelier', $5)`,
			comps[i], id, fmt.Sprintf("C%02d", i+1), fmt.Sprintf("Compétence %d", i+1), i)
	}
	return id, comps
}

// ContractOpts are optional fields of NewContract.
type ContractOpts struct {
	StartDate time.Time // default: 60 days before the clock
	EndDate   time.Time // default: two years after the start
	Status    string    // default ACTIVE
	Adviser   *User     // reuse an adviser
	Tutor     *User     // reuse a tutor (and their company)
	TradeID   *uuid.UUID
	// Apprentice reuses an apprentice (e.g. one made with a given locale).
	Apprentice *User
}

// NewContract inserts a contract with a new apprentice (and new tutor,
// adviser, company, centre and trade of 5 competencies unless given).
func (a *TestApp) NewContract(t testing.TB, o ...ContractOpts) Contract {
	t.Helper()
	var opt ContractOpts
	if len(o) > 0 {
		opt = o[0]
	}
	today := a.Clock.Now().UTC().Truncate(24 * time.Hour)
	if opt.StartDate.IsZero() {
		opt.StartDate = today.AddDate(0, 0, -60)
	}
	if opt.EndDate.IsZero() {
		opt.EndDate = opt.StartDate.AddDate(2, 0, 0)
	}
	if opt.Status == "" {
		opt.Status = "ACTIVE"
	}
	c := Contract{ID: uuid.New(), StartDate: opt.StartDate, EndDate: opt.EndDate}
	if opt.Tutor != nil {
		c.Tutor = *opt.Tutor
		if err := a.Pool.QueryRow(context.Background(), `SELECT company_id FROM users WHERE id = $1`, c.Tutor.ID).Scan(&c.CompanyID); err != nil {
			t.Fatal(err)
		}
	} else {
		c.CompanyID = a.NewCompany(t)
		c.Tutor = a.NewUser(t, auth.Tutor, UserOpts{CompanyID: &c.CompanyID})
	}
	if opt.Adviser != nil {
		c.Adviser = *opt.Adviser
	} else {
		c.Adviser = a.NewUser(t, auth.Adviser)
	}
	if opt.Apprentice != nil {
		c.Apprentice = *opt.Apprentice
	} else {
		c.Apprentice = a.NewUser(t, auth.Apprentice)
	}
	if opt.TradeID != nil {
		c.TradeID = *opt.TradeID
		rows, _ := a.Pool.Query(context.Background(), `SELECT id FROM competencies WHERE trade_id = $1 ORDER BY position`, c.TradeID)
		for rows.Next() {
			var id uuid.UUID
			rows.Scan(&id)
			c.Competencies = append(c.Competencies, id)
		}
		rows.Close()
	} else {
		c.TradeID, c.Competencies = a.NewTrade(t, 5)
	}
	c.CentreID = uuid.New()
	a.Exec(t, `INSERT INTO training_centres (id, name, city) VALUES ($1, 'IFAPME Namur', 'Namur')`, c.CentreID)
	a.Exec(t, `INSERT INTO contracts (id, apprentice_id, company_id, tutor_id, adviser_id, centre_id, trade_id,
			start_date, end_date, weekly_hours, status)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 28, $10)`,
		c.ID, c.Apprentice.ID, c.CompanyID, c.Tutor.ID, c.Adviser.ID, c.CentreID, c.TradeID,
		c.StartDate, c.EndDate, opt.Status)
	return c
}
