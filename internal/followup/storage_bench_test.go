package followup_test

import (
	"context"
	"testing"

	"jalon/internal/testapp"
)

// BenchmarkStorage10000Contracts reports the bytes per row (indexes and
// TOAST included) of the scan benchmark's data once the first scan has run,
// for docs/capacity.md: 10,000 contracts and their people, 30,000
// evaluations with eight criteria each (scored and commented once started)
// and their signatures, the visits, and what the scan wrote (follow-ups,
// notifications, delivery jobs), the risk computation's weekly snapshot,
// plus one phone per apprentice with one delivery record per notification. Time is not what it measures.
//
//	go test ./internal/followup/ -run '^$' -bench Storage -benchtime 1x
func BenchmarkStorage10000Contracts(b *testing.B) {
	a := testapp.New(b)
	const contracts = 10000
	seedContracts(b, a, contracts)
	seedRuleData(b, a, contracts)
	a.Exec(b, `INSERT INTO evaluation_criteria (evaluation_id, position, label, description, score, comment)
		SELECT e.id, p, 'Critère ' || p, 'Lit un plan et prépare son poste de travail en sécurité',
		       CASE WHEN e.status <> 'SCHEDULED' THEN 1 + p % 4 END,
		       CASE WHEN e.status <> 'SCHEDULED' THEN 'Bonne progression depuis la dernière évaluation, à consolider.' ELSE '' END
		FROM evaluations e CROSS JOIN generate_series(1, 8) p`)
	if _, err := a.App.FollowUps.Scan(context.Background()); err != nil {
		b.Fatal(err)
	}
	if _, err := a.App.Risk.ComputeAll(context.Background()); err != nil { // a risk and the week's snapshot per contract
		b.Fatal(err)
	}
	a.Exec(b, `INSERT INTO devices (user_id, token, platform, app_version)
		SELECT id, 'fcm-' || id || '-' || repeat('x', 100), 'ANDROID', '1.4.2' FROM users WHERE role = 'APPRENTICE'`)
	a.Exec(b, `INSERT INTO notification_deliveries (notification_id, device_id)
		SELECT n.id, d.id FROM notifications n JOIN devices d ON d.user_id = n.user_id`)
	b.ResetTimer()
	for range b.N {
	}
	a.ReportStorage(b, "users", "contracts", "evaluations", "evaluation_criteria", "evaluation_signatures",
		"visits", "follow_ups", "notifications", "river_job", "devices", "notification_deliveries", "risk_snapshots")
}
