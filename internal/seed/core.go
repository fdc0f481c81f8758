package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Fixed ids of the demo data, so areas can hang records off them.
var (
	CentreID   = uuid.MustParse("00000000-0000-4000-a000-000000000001")
	Company1ID = uuid.MustParse("00000000-0000-4000-a000-000000000011")
	Company2ID = uuid.MustParse("00000000-0000-4000-a000-000000000012")
	TradeID    = uuid.MustParse("00000000-0000-4000-a000-000000000021")

	AdminID   = uuid.MustParse("00000000-0000-4000-b000-000000000001")
	AdviserID = uuid.MustParse("00000000-0000-4000-b000-000000000002")
	Tutor1ID  = uuid.MustParse("00000000-0000-4000-b000-000000000011")
	Tutor2ID  = uuid.MustParse("00000000-0000-4000-b000-000000000012")
	// ApprenticeIDs and ContractIDs go together: apprentice i has contract i.
	ApprenticeIDs = []uuid.UUID{
		uuid.MustParse("00000000-0000-4000-b000-000000000021"),
		uuid.MustParse("00000000-0000-4000-b000-000000000022"),
		uuid.MustParse("00000000-0000-4000-b000-000000000023"),
		uuid.MustParse("00000000-0000-4000-b000-000000000024"),
	}
	// GuardianIDs: Lucas's mother, Emma's father (adult: access confirmed)
	// and Léa's mother (Léa shares her log book). Lucas turns 18 within the
	// demo's first month.
	GuardianIDs = []uuid.UUID{
		uuid.MustParse("00000000-0000-4000-b000-000000000031"),
		uuid.MustParse("00000000-0000-4000-b000-000000000032"),
		uuid.MustParse("00000000-0000-4000-b000-000000000034"),
	}
	ContractIDs = []uuid.UUID{
		uuid.MustParse("00000000-0000-4000-c000-000000000001"),
		uuid.MustParse("00000000-0000-4000-c000-000000000002"),
		uuid.MustParse("00000000-0000-4000-c000-000000000003"),
		uuid.MustParse("00000000-0000-4000-c000-000000000004"),
	}
)

// CompetencyID returns the id of demo competency n (1..15).
func CompetencyID(n int) uuid.UUID {
	return uuid.MustParse(fmt.Sprintf("00000000-0000-4000-d000-%012d", n))
}

type demoUser struct {
	id          uuid.UUID
	role, email string
	first, last string
	locale      string
	company     *uuid.UUID
	birth       *time.Time
	// turns18In, when set, dates the birth that many days before the
	// 18th birthday, counted from the day the demo is first loaded.
	turns18In int
}

func date(y int, m time.Month, d int) *time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return &t
}

var demoUsers = []demoUser{
	{AdminID, "ADMIN", "admin@jalon.test", "Anne", "Dubois", "FR", nil, nil, 0},
	{AdviserID, "ADVISER", "conseiller@jalon.test", "Marc", "Lambert", "FR", nil, nil, 0},
	{Tutor1ID, "TUTOR", "tuteur.menuiserie@jalon.test", "Jean", "Peeters", "FR", &Company1ID, nil, 0},
	{Tutor2ID, "TUTOR", "tutor.schreinerei@jalon.test", "Hilde", "Janssens", "NL", &Company2ID, nil, 0},
	{ApprenticeIDs[0], "APPRENTICE", "lucas@jalon.test", "Lucas", "Martin", "FR", nil, nil, 16},
	{ApprenticeIDs[1], "APPRENTICE", "emma@jalon.test", "Emma", "Lefèvre", "FR", nil, date(2007, 11, 3), 0},
	{ApprenticeIDs[2], "APPRENTICE", "noah@jalon.test", "Noah", "Claes", "NL", nil, date(2006, 1, 25), 0},
	{ApprenticeIDs[3], "APPRENTICE", "lea@jalon.test", "Léa", "Schmitz", "DE", nil, date(2009, 7, 30), 0},
	{GuardianIDs[0], "GUARDIAN", "nathalie.martin@jalon.test", "Nathalie", "Martin", "FR", nil, nil, 0},
	{GuardianIDs[1], "GUARDIAN", "philippe.lefevre@jalon.test", "Philippe", "Lefèvre", "FR", nil, nil, 0},
	{GuardianIDs[2], "GUARDIAN", "sabine.schmitz@jalon.test", "Sabine", "Schmitz", "DE", nil, nil, 0},
}

var demoCompetencies = []struct{ code, title, group string }{
	{"MEN-01", "Lire un plan et une fiche de débit", "Préparation"},
	{"MEN-02", "Choisir et contrôler le bois", "Préparation"},
	{"MEN-03", "Organiser son poste de travail en sécurité", "Préparation"},
	{"MEN-04", "Débiter au banc de scie", "Usinage"},
	{"MEN-05", "Dégauchir et raboter", "Usinage"},
	{"MEN-06", "Tenonner et mortaiser", "Usinage"},
	{"MEN-07", "Usiner sur machine à commande numérique", "Usinage"},
	{"MEN-08", "Assembler un bâti", "Assemblage"},
	{"MEN-09", "Coller et serrer", "Assemblage"},
	{"MEN-10", "Poncer et préparer la finition", "Finition"},
	{"MEN-11", "Appliquer une finition (vernis, huile)", "Finition"},
	{"MEN-12", "Poser une porte intérieure", "Pose"},
	{"MEN-13", "Poser un châssis", "Pose"},
	{"MEN-14", "Entretenir l'outillage", "Atelier"},
	{"MEN-15", "Communiquer avec le client sur chantier", "Relationnel"},
}

// seedCore inserts the people, organisations, trade and contracts.
func seedCore(ctx context.Context, tx pgx.Tx, now time.Time) error {
	batch := &pgx.Batch{}
	batch.Queue(`INSERT INTO training_centres (id, name, street, postal_code, city)
		VALUES ($1, 'Centre de formation IFAPME Namur', 'Rue de Bruxelles 15', '5000', 'Namur')
		ON CONFLICT DO NOTHING`, CentreID)
	batch.Queue(`INSERT INTO companies (id, name, enterprise_number, street, postal_code, city, country, latitude, longitude)
		VALUES ($1, 'Menuiserie Dupont SRL', '0417497106', 'Chaussée de Louvain 210', '5020', 'Namur', 'BE', 50.4811, 4.8790)
		ON CONFLICT DO NOTHING`, Company1ID)
	batch.Queue(`INSERT INTO companies (id, name, enterprise_number, street, postal_code, city, country, latitude, longitude)
		VALUES ($1, 'Schrijnwerkerij Van den Berg BV', '0202239951', 'Naamsesteenweg 42', '3001', 'Leuven', 'BE', 50.8651, 4.6960)
		ON CONFLICT DO NOTHING`, Company2ID)
	batch.Queue(`INSERT INTO trades (id, code, name) VALUES ($1, 'MENUISIER', 'Menuisier / Menuisière')
		ON CONFLICT DO NOTHING`, TradeID)
	for i, c := range demoCompetencies {
		batch.Queue(`INSERT INTO competencies (id, trade_id, code, title, grp, position)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
			CompetencyID(i+1), TradeID, c.code, c.title, c.group, i)
	}
	today := now.UTC().Truncate(24 * time.Hour)
	for _, u := range demoUsers {
		birth := u.birth
		if u.turns18In > 0 {
			b := today.AddDate(-18, 0, u.turns18In)
			birth = &b
		}
		batch.Queue(`INSERT INTO users (id, email, first_name, last_name, locale, role, company_id, birth_date)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
			u.id, u.email, u.first, u.last, u.locale, u.role, u.company, birth)
	}
	// Contracts started at different times, so every area has something to show.
	starts := []time.Time{today.AddDate(0, -7, 0), today.AddDate(0, -4, 0), today.AddDate(0, 0, -20), today.AddDate(-2, 0, 20)}
	tutors := []uuid.UUID{Tutor1ID, Tutor1ID, Tutor2ID, Tutor2ID}
	companies := []uuid.UUID{Company1ID, Company1ID, Company2ID, Company2ID}
	for i, id := range ContractIDs {
		batch.Queue(`INSERT INTO contracts (id, apprentice_id, company_id, tutor_id, adviser_id, centre_id, trade_id,
				start_date, end_date, weekly_hours, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'ACTIVE', $11, $11) ON CONFLICT DO NOTHING`,
			id, ApprenticeIDs[i], companies[i], tutors[i], AdviserID, CentreID, TradeID,
			starts[i], starts[i].AddDate(2, 0, 0), 28, now)
	}
	return tx.SendBatch(ctx, batch).Close()
}
