package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/clock"
)

// VisitID returns the id of demo visit n.
func VisitID(n int) uuid.UUID {
	return uuid.MustParse(fmt.Sprintf("00000000-0000-4000-8300-%012d", n))
}

// seedVisits gives the adviser past and upcoming visits and a planning queue:
// contract 1's last visit was 100 days ago and contract 4's 120 days ago
// (both overdue); contract 2 has an upcoming visit (planned); contract 3
// started 20 days ago and enters the queue three days from now.
func seedVisits(ctx context.Context, tx pgx.Tx, now time.Time) error {
	today := clock.Today(now)
	at := func(days, hour, minute int) time.Time {
		d := today.AddDate(0, 0, days)
		return time.Date(d.Year(), d.Month(), d.Day(), hour, minute, 0, 0, clock.Brussels)
	}
	type visit struct {
		n                          int
		contract                   int
		start, end                 time.Time
		status, purpose            string
		summary, outcome, actions  *string
		cancelReason               *string
		tutorConfirmed, appConfirm bool
	}
	s := func(v string) *string { return &v }
	visits := []visit{
		{1, 0, at(-196, 10, 0), at(-196, 11, 30), "DONE", "Première visite : accueil et poste de travail",
			s("Bon accueil, poste de travail sûr. Lucas est motivé."), s("ON_TRACK"), s("Prévoir une formation à la scie à format."), nil, true, true},
		{2, 0, at(-100, 14, 0), at(-100, 15, 0), "DONE", "Visite trimestrielle",
			s("Progrès en usinage ; le carnet est tenu irrégulièrement."), s("NEEDS_ATTENTION"), s("Remplir le carnet chaque vendredi."), nil, true, true},
		{3, 1, at(-104, 9, 30), at(-104, 11, 0), "DONE", "Première visite",
			s("Intégration réussie dans l'équipe."), s("ON_TRACK"), s(""), nil, true, true},
		{4, 1, at(-60, 9, 30), at(-60, 10, 30), "DONE", "Suivi des compétences d'usinage",
			s("Emma maîtrise le débit ; à accompagner sur la finition."), s("ON_TRACK"), s("Exercices de vernissage."), nil, true, true},
		{5, 1, at(2, 10, 0), at(2, 11, 30), "PROPOSED", "Visite trimestrielle et préparation de l'évaluation",
			nil, nil, nil, nil, true, false},
		{6, 3, at(-120, 13, 0), at(-120, 14, 30), "DONE", "Visite trimestrielle",
			s("Absences répétées signalées par la tutrice."), s("AT_RISK"), s("Entretien avec le centre de formation."), nil, true, true},
		{7, 3, at(-95, 10, 0), at(-95, 11, 0), "MISSED", "Visite de suivi (absences)",
			nil, nil, nil, nil, false, false},
		{8, 3, at(-30, 10, 0), at(-30, 11, 0), "CANCELLED", "Visite de suivi",
			nil, nil, nil, s("Entreprise fermée pour congé annuel"), true, false},
	}
	batch := &pgx.Batch{}
	for _, v := range visits {
		var tutorAt, appAt, completedAt *time.Time
		created := v.start.AddDate(0, 0, -14)
		if v.tutorConfirmed {
			t := created.Add(24 * time.Hour)
			tutorAt = &t
		}
		if v.appConfirm {
			t := created.Add(48 * time.Hour)
			appAt = &t
		}
		if v.status == "DONE" {
			t := v.end.Add(3 * time.Hour)
			completedAt = &t
		}
		place := "Chaussée de Louvain 210, 5020 Namur"
		if v.contract >= 2 {
			place = "Naamsesteenweg 42, 3001 Leuven"
		}
		sequence := 0
		if v.status == "CANCELLED" {
			sequence = 1
		}
		batch.Queue(`INSERT INTO visits (id, contract_id, adviser_id, starts_at, ends_at, place, purpose, status,
				tutor_confirmed_at, apprentice_confirmed_at, report_summary, report_outcome, report_actions,
				completed_at, cancel_reason, sequence, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)
			ON CONFLICT DO NOTHING`,
			VisitID(v.n), ContractIDs[v.contract], AdviserID, v.start, v.end, place, v.purpose, v.status,
			tutorAt, appAt, v.summary, v.outcome, v.actions, completedAt, v.cancelReason, sequence, created)
	}
	// Marc Lambert's base (the Namur office), so his planning queue shows
	// distances without `near`; set once, an admin's later change is kept.
	batch.Queue(`UPDATE users SET base_latitude = 50.4674, base_longitude = 4.8720
		WHERE id = $1 AND base_latitude IS NULL`, AdviserID)
	return tx.SendBatch(ctx, batch).Close()
}
