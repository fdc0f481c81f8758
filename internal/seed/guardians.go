package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// seedGuardians links the demo guardians (issue 17):
//
//   - Nathalie Martin follows Lucas, a minor who turns 18 within the demo's
//     first month: the majority job ends her access on his birthday unless
//     Lucas confirms it then;
//   - Philippe Lefèvre follows Emma, an adult who confirmed his access a
//     month before the demo was loaded;
//   - Sabine Schmitz follows Léa (17), who shares her log book with her.
//
// It also records a few reads of Léa's record (her tutor, the adviser, her
// mother), so myRecordAccess has something to show.
func seedGuardians(ctx context.Context, tx pgx.Tx, now time.Time) error {
	now = now.UTC().Truncate(time.Minute)
	linked := now.AddDate(0, -2, 0)
	confirmed := now.AddDate(0, -1, 0)
	links := []struct {
		n                           int
		apprentice, guardian        uuid.UUID
		relationship, basis, status string
		confirmedAt                 *time.Time
	}{
		{1, ApprenticeIDs[0], GuardianIDs[0], "PARENT", "LEGAL_REPRESENTATIVE", "ACTIVE", nil},
		{2, ApprenticeIDs[1], GuardianIDs[1], "PARENT", "APPRENTICE_CONSENT", "ACTIVE", &confirmed},
		{3, ApprenticeIDs[3], GuardianIDs[2], "PARENT", "LEGAL_REPRESENTATIVE", "ACTIVE", nil},
	}
	batch := &pgx.Batch{}
	for _, l := range links {
		batch.Queue(`INSERT INTO guardian_links (id, apprentice_id, guardian_id, relationship, basis, status, linked_by, linked_at, confirmed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
			uuid.MustParse(fmt.Sprintf("00000000-0000-4000-e900-%012d", l.n)), l.apprentice, l.guardian,
			l.relationship, l.basis, l.status, AdminID, linked, l.confirmedAt)
	}
	batch.Queue(`INSERT INTO guardian_sharing (apprentice_id, log_book, updated_at) VALUES ($1, true, $2) ON CONFLICT DO NOTHING`,
		ApprenticeIDs[3], confirmed)
	reads := []struct {
		n            int
		reader       uuid.UUID
		role, kind   string
		daysAgo      int
		hour, minute int
	}{
		{1, Tutor2ID, "TUTOR", "LOG_BOOK", 1, 8, 12},
		{2, AdviserID, "ADVISER", "VISITS", 1, 14, 40},
		{3, GuardianIDs[2], "GUARDIAN", "EVALUATIONS", 0, 7, 5},
		{4, Tutor2ID, "TUTOR", "LOG_BOOK", 0, 9, 30},
	}
	today := now.Truncate(24 * time.Hour)
	for _, r := range reads {
		day := today.AddDate(0, 0, -r.daysAgo)
		at := day.Add(time.Duration(r.hour)*time.Hour + time.Duration(r.minute)*time.Minute)
		batch.Queue(`INSERT INTO record_access (id, apprentice_id, reader_id, reader_role, kind, day, first_read_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
			uuid.MustParse(fmt.Sprintf("00000000-0000-4000-e950-%012d", r.n)), ApprenticeIDs[3], r.reader, r.role, r.kind, day, at)
	}
	return tx.SendBatch(ctx, batch).Close()
}
