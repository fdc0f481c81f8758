package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"jalon/internal/clock"
	"jalon/internal/notify"
	"jalon/internal/risk"
	"jalon/internal/service"
)

// demoInterventionID is the fixed id of the demo intervention.
var demoInterventionID = uuid.MustParse("00000000-0000-4000-f000-000000000900")

// seedRisk records an intervention of the adviser on contract 4 (the one
// whose last visit said AT_RISK) and, on the first load, computes every demo
// contract's risk with the default policy, so the adviser's caseload shows
// every level (LOW, WATCH, HIGH) with its reasons. Later runs add nothing:
// the risk job recomputes as time goes by.
func seedRisk(ctx context.Context, tx pgx.Tx, now time.Time) error {
	today := clock.Today(now)
	if _, err := tx.Exec(ctx, `
		INSERT INTO interventions (id, client_id, contract_id, author_id, kind, note, agreed_actions, next_check_on, created_at)
		VALUES ($1, $1, $2, $3, 'CALL', 'Appel à Noah et à sa tutrice après la visite manquée : absences liées aux trajets.',
		        'Noah prend le bus de 6 h 40 ; la tutrice signale toute absence le jour même.', $4, $5)
		ON CONFLICT DO NOTHING`, demoInterventionID, ContractIDs[3], AdviserID, today.AddDate(0, 0, 7), now.Add(-48*time.Hour)); err != nil {
		return fmt.Errorf("intervention: %w", err)
	}
	// Emma and the third apprentice used the app today (a past session,
	// revoked: nobody holds its token), so they are not "not seen".
	for i, n := range []int{1, 2} {
		sid := uuid.MustParse(fmt.Sprintf("00000000-0000-4000-f000-%012d", 910+i))
		if _, err := tx.Exec(ctx, `
			INSERT INTO sessions (id, family_id, user_id, token_hash, created_at, expires_at, revoked_at)
			VALUES ($1::uuid, $1::uuid, $2, sha256(convert_to($1::uuid::text, 'UTF8')), $3, $3, $3)
			ON CONFLICT DO NOTHING`, sid, ApprenticeIDs[n], now.Add(-time.Hour)); err != nil {
			return fmt.Errorf("demo session: %w", err)
		}
	}
	var computed bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM contract_risks WHERE contract_id = ANY($1))`, ContractIDs).Scan(&computed); err != nil {
		return err
	}
	if computed {
		return nil
	}
	base := service.Base{DB: tx, Clock: clock.NewManual(now), Log: zerolog.Nop()}
	svc := &risk.Service{Base: base, Notify: &notify.Notifier{Base: base}, Policy: risk.DefaultPolicy()}
	if _, err := svc.Refresh(ctx, ContractIDs); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `DELETE FROM risk_dirty WHERE contract_id = ANY($1)`, ContractIDs)
	return err
}
