// Package benchdata loads the log book's load data set: tutors of a few
// apprentices each, one active contract per apprentice with a long log book,
// two competencies per entry. BenchmarkLogBook (internal/logbook) and the
// comparison tool (cmd/loadcompare) both load it from here, in a few
// set-based statements (generate_series), so the full set (200 contracts ×
// 300 entries) loads in seconds.
package benchdata

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"jalon/internal/postgres"
)

// Size is the shape of the data set.
type Size struct {
	Tutors              int
	ApprenticesPerTutor int
	// EntriesPerContract: one per day back from 2026-03-17, newest first:
	// the 3 newest are drafts, the next 7 wait for review (SUBMITTED), the
	// rest are reviewed (VALIDATED, every 17th day CHANGES_REQUESTED).
	EntriesPerContract int
}

// Full is the data set of issue 12 and of BenchmarkLogBook: 20 tutors of
// 10 apprentices, 200 active contracts × 300 entries (60,000 entries,
// 120,000 competency links).
var Full = Size{Tutors: 20, ApprenticesPerTutor: 10, EntriesPerContract: 300}

// Apprentice is an apprentice of the set and their one contract.
type Apprentice struct {
	ID, Contract, Tutor uuid.UUID
}

// Set is what was loaded: the apprentices (by email order) and the tutors
// (by email order; apprentice i is tutored by tutor i % Tutors).
type Set struct {
	Size        Size
	Trade       uuid.UUID
	Apprentices []Apprentice
	Tutors      []uuid.UUID
}

// Entries is the number of log entries loaded.
func (s Set) Entries() int { return len(s.Apprentices) * s.Size.EntriesPerContract }

// Load inserts the data set into db (a migrated database, not a
// transaction: it ends with VACUUM). The rows have their own trade, company
// and users, so the database may hold other data.
func Load(ctx context.Context, db postgres.DB, size Size) (Set, error) {
	if size.Tutors < 1 || size.ApprenticesPerTutor < 1 || size.EntriesPerContract < 1 || size.Tutors*size.ApprenticesPerTutor > 9999 {
		return Set{}, fmt.Errorf("benchdata: bad size %+v", size)
	}
	set := Set{Size: size, Trade: uuid.New()}
	tag := set.Trade.String()[:8] // keeps emails unique if loaded twice
	company, centre, adviser := uuid.New(), uuid.New(), uuid.New()
	apprentices := size.Tutors * size.ApprenticesPerTutor
	steps := []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO trades (id, code, name) VALUES ($1, 'BENCH-' || $2::text, 'Menuisier')`, []any{set.Trade, tag}},
		{`INSERT INTO competencies (trade_id, code, title, position)
			SELECT $1, 'C' || g, 'Compétence ' || g, g FROM generate_series(1, 15) g`, []any{set.Trade}},
		{`INSERT INTO companies (id, name, enterprise_number) VALUES ($1, 'Bench SRL', '0' || lpad((abs(hashtext($2::text)) % 1000000000)::text, 9, '0'))`, []any{company, tag}},
		{`INSERT INTO training_centres (id, name) VALUES ($1, 'Centre')`, []any{centre}},
		{`INSERT INTO users (id, email, first_name, last_name, role) VALUES ($1, 'adviser-' || $2::text || '@bench.test', 'Ada', 'Viser', 'ADVISER')`, []any{adviser, tag}},
		{`INSERT INTO users (email, first_name, last_name, role, company_id)
			SELECT 'tutor' || lpad(g::text, 4, '0') || '-' || $3::text || '@bench.test', 'Tuteur', g::text, 'TUTOR', $1
			FROM generate_series(0, $2::int - 1) g`, []any{company, size.Tutors, tag}},
		{`INSERT INTO users (email, first_name, last_name, role)
			SELECT 'app' || lpad(g::text, 4, '0') || '-' || $2::text || '@bench.test', 'Apprenti', g::text, 'APPRENTICE'
			FROM generate_series(0, $1::int - 1) g`, []any{apprentices, tag}},
		{`INSERT INTO contracts (apprentice_id, company_id, tutor_id, adviser_id, centre_id, trade_id, start_date, end_date, weekly_hours)
			SELECT ap.id, $1, t.id, $2, $3, $4, '2025-01-01', '2027-12-31', 28
			FROM (SELECT id, row_number() OVER (ORDER BY email) - 1 AS rn FROM users WHERE email LIKE 'app%-' || $6::text || '@bench.test') ap
			JOIN (SELECT id, row_number() OVER (ORDER BY email) - 1 AS rn FROM users WHERE email LIKE 'tutor%-' || $6::text || '@bench.test') t
			  ON t.rn = ap.rn % $5`, []any{company, adviser, centre, set.Trade, size.Tutors, tag}},
		// Days back from 2026-03-17: the 3 newest drafts, the next 7
		// waiting for review, the rest validated (every 17th sent back).
		{`INSERT INTO log_entries (client_id, contract_id, entry_date, hours, activities, status, version,
				submitted_at, reviewer_id, review_decision, review_comment, reviewed_at)
			SELECT gen_random_uuid(), c.id, date '2026-03-17' - g, 7.5,
				'Débit, assemblage et finition, journée ' || g,
				CASE WHEN g < 3 THEN 'DRAFT' WHEN g < 10 THEN 'SUBMITTED' WHEN g % 17 = 0 THEN 'CHANGES_REQUESTED' ELSE 'VALIDATED' END,
				CASE WHEN g < 3 THEN 1 WHEN g < 10 THEN 2 ELSE 3 END,
				CASE WHEN g >= 3 THEN now() END,
				CASE WHEN g >= 10 THEN c.tutor_id END,
				CASE WHEN g >= 10 THEN CASE WHEN g % 17 = 0 THEN 'REQUEST_CHANGES' ELSE 'VALIDATE' END END,
				CASE WHEN g >= 10 THEN 'Bien' END,
				CASE WHEN g >= 10 THEN now() END
			FROM contracts c CROSS JOIN generate_series(0, $2::int - 1) g WHERE c.trade_id = $1`, []any{set.Trade, size.EntriesPerContract}},
		{`INSERT INTO log_entry_competencies (log_entry_id, competency_id, position)
			SELECT e.id, k.id, k.position FROM log_entries e JOIN contracts c ON c.id = e.contract_id
			JOIN competencies k ON k.trade_id = c.trade_id
			 AND k.position IN (1 + (e.entry_date - date '2025-01-01') % 15, 1 + (e.entry_date - date '2025-01-01' + 7) % 15)
			WHERE c.trade_id = $1`, []any{set.Trade}},
		// Statistics and the visibility map now, not whenever autovacuum
		// gets to it: index-only scans from the first request, and the
		// same plans in every run.
		{`VACUUM (ANALYZE) log_entries, log_entry_competencies, contracts, users, competencies`, nil},
	}
	for _, s := range steps {
		if _, err := db.Exec(ctx, s.sql, s.args...); err != nil {
			return Set{}, fmt.Errorf("benchdata: %w (in %.60q)", err, s.sql)
		}
	}

	rows, err := db.Query(ctx, `SELECT c.apprentice_id, c.id, c.tutor_id FROM contracts c JOIN users u ON u.id = c.apprentice_id
		WHERE c.trade_id = $1 ORDER BY u.email`, set.Trade)
	if err != nil {
		return Set{}, fmt.Errorf("benchdata: %w", err)
	}
	for rows.Next() {
		var a Apprentice
		if err := rows.Scan(&a.ID, &a.Contract, &a.Tutor); err != nil {
			rows.Close()
			return Set{}, fmt.Errorf("benchdata: %w", err)
		}
		set.Apprentices = append(set.Apprentices, a)
	}
	rows.Close()
	rows, err = db.Query(ctx, `SELECT u.id FROM users u
		WHERE u.email LIKE 'tutor%-' || $1::text || '@bench.test' ORDER BY u.email`, tag)
	if err != nil {
		return Set{}, fmt.Errorf("benchdata: %w", err)
	}
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return Set{}, fmt.Errorf("benchdata: %w", err)
		}
		set.Tutors = append(set.Tutors, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Set{}, fmt.Errorf("benchdata: %w", err)
	}
	if len(set.Apprentices) != apprentices || len(set.Tutors) != size.Tutors {
		return Set{}, fmt.Errorf("benchdata: loaded %d contracts and %d tutors, want %d and %d",
			len(set.Apprentices), len(set.Tutors), apprentices, size.Tutors)
	}
	return set, nil
}
