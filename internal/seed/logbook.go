package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/clock"
)

// logbookNS derives the fixed ids of demo log entries from contract and date.
var logbookNS = uuid.MustParse("00000000-0000-4000-e000-000000000000")

var demoActivities = []string{
	"Lecture du plan d'un meuble de cuisine et préparation de la fiche de débit.",
	"Débit des panneaux au banc de scie, contrôle des cotes avec le tuteur.",
	"Dégauchissage et rabotage de chêne pour un cadre de porte.",
	"Tenons et mortaises pour une table de jardin, assemblage à blanc.",
	"Collage et serrage du bâti, nettoyage des joints de colle.",
	"Ponçage et première couche d'huile sur un plan de travail.",
	"Pose d'une porte intérieure chez un client, réglage des charnières.",
	"Entretien de l'outillage : affûtage des fers de rabot et des ciseaux.",
	"Programmation d'un usinage simple sur la machine à commande numérique.",
	"Pose d'un châssis en bois, calfeutrage et finitions avec le client.",
}

// seedLogbook writes six weeks of working days per demo contract (fewer for
// recent contracts): older weeks validated by the tutor, some entries sent
// back with a comment, the last working week waiting for review, the last
// four days still drafts, as of the day the demo data was first loaded (the
// demo contracts' creation): ids derive from contract and date, so running
// the seed again, even days later, inserts nothing.
func seedLogbook(ctx context.Context, tx pgx.Tx, now time.Time) error {
	var firstLoaded time.Time
	if err := tx.QueryRow(ctx, `SELECT created_at FROM contracts WHERE id = $1`, ContractIDs[0]).Scan(&firstLoaded); err != nil {
		return fmt.Errorf("demo contract: %w", err)
	}
	today := clock.Today(firstLoaded)
	tutors := []uuid.UUID{Tutor1ID, Tutor1ID, Tutor2ID, Tutor2ID}
	batch := &pgx.Batch{}
	for ci, contractID := range ContractIDs {
		var start time.Time
		if err := tx.QueryRow(ctx, `SELECT start_date FROM contracts WHERE id = $1`, contractID).Scan(&start); err != nil {
			return fmt.Errorf("contract %d: %w", ci, err)
		}
		n := 0
		for d := today.AddDate(0, 0, -42); !d.After(today); d = d.AddDate(0, 0, 1) {
			if d.Before(start) || d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
				continue
			}
			n++
			age := int(today.Sub(d).Hours() / 24)
			status, decision, comment := "VALIDATED", "VALIDATE", ""
			switch {
			case age <= 3:
				status, decision = "DRAFT", ""
			case age <= 9:
				status, decision = "SUBMITTED", ""
			case age <= 16 && n%4 == 0:
				status, decision, comment = "CHANGES_REQUESTED", "REQUEST_CHANGES", "Peux-tu préciser les machines utilisées et les mesures de sécurité ?"
			}
			key := fmt.Sprintf("%s/%s", contractID, d.Format(time.DateOnly))
			id := uuid.NewSHA1(logbookNS, []byte("entry/"+key))
			clientID := uuid.NewSHA1(logbookNS, []byte("client/"+key))
			hours := []float64{7.5, 8, 8, 6.5, 7.75}[n%5]
			at := d.Add(17 * time.Hour)
			var reviewer, dec, com *string
			var reviewedAt, submittedAt *time.Time
			if status != "DRAFT" {
				s := at
				submittedAt = &s
			}
			if decision != "" {
				r, dd, cc := tutors[ci].String(), decision, comment
				reviewer, dec, com = &r, &dd, &cc
				ra := at.Add(40 * time.Hour)
				reviewedAt = &ra
			}
			version := 1
			if status != "DRAFT" {
				version = 2
			}
			if decision != "" {
				version = 3
			}
			batch.Queue(`INSERT INTO log_entries (id, client_id, contract_id, entry_date, hours, activities, status, version,
					submitted_at, reviewer_id, review_decision, review_comment, reviewed_at, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::timestamptz, $10::uuid, $11, $12, $13::timestamptz, $14::timestamptz,
					coalesce($13::timestamptz, $9::timestamptz, $14::timestamptz))
				ON CONFLICT DO NOTHING`,
				id, clientID, contractID, d, hours, demoActivities[(n+ci)%len(demoActivities)], status, version,
				submittedAt, reviewer, dec, com, reviewedAt, at)
			for k := 0; k < 1+n%3; k++ {
				batch.Queue(`INSERT INTO log_entry_competencies (log_entry_id, competency_id, position)
					VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, id, CompetencyID(1+(n+k*4)%15), k)
			}
		}
	}
	return tx.SendBatch(ctx, batch).Close()
}
