// Package recordaccess owns the record an apprentice can see of who looked
// at their record: every read of their log book, evaluations or visits by
// someone else (tutor, adviser, admin, guardian) is kept as one row per
// reader, kind of record and Brussels day (table record_access), and the
// apprentice lists them (myRecordAccess). Rows are kept as long as the
// audit log (the retention job prunes both), exported with the apprentice's
// data, and show the reader's current name, which erasure turns into a
// pseudonym.
//
// Cost: the areas call Record after each read. The first read of a day by
// a reader of a contract's record costs one INSERT ... ON CONFLICT DO
// NOTHING; an in-process set of what this process already recorded today
// (reader, contract, kind) makes every later read of the day free (no
// statement). Several processes each record a key once a day at most; the
// unique key keeps one row.
package recordaccess

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"jalon/internal/auth"
	"jalon/internal/clock"
	"jalon/internal/page"
	"jalon/internal/recordaccess/recordaccessdb"
	"jalon/internal/service"
)

// Kind is what part of the record was read.
type Kind string

const (
	LogBook     Kind = "LOG_BOOK"
	Evaluations Kind = "EVALUATIONS"
	Visits      Kind = "VISITS"
)

// Access is one reader's reads of one kind of an apprentice's record on one
// day.
type Access struct {
	ID          uuid.UUID
	ReaderName  string
	ReaderRole  auth.Role
	Kind        Kind
	Day         time.Time // a calendar date, midnight UTC
	FirstReadAt time.Time
}

// maxSeen bounds the in-process set (about 50 bytes an entry): past it the
// set starts afresh, which costs one more INSERT per key, nothing else.
const maxSeen = 200_000

type key struct {
	reader, contract uuid.UUID
	kind             Kind
}

// Service records reads and lists them. internal/app builds it once; the
// log book, evaluations and visits services hold it.
type Service struct {
	service.Base

	mu   sync.Mutex
	day  time.Time
	seen map[key]struct{}
}

// Record notes that the caller read kind of the records of contractIDs
// (which they may see: the caller's services call it after a read). Reads
// by an apprentice (their own record) and without a caller are not
// recorded. An error is returned as is: a read that cannot be recorded
// fails, rather than go unrecorded.
func (s *Service) Record(ctx context.Context, kind Kind, contractIDs []uuid.UUID) error {
	if s == nil || len(contractIDs) == 0 {
		return nil
	}
	p, ok := auth.FromContext(ctx)
	if !ok || p.Role == auth.Apprentice || !p.Role.Valid() {
		return nil
	}
	now := s.Clock.Now()
	day := clock.Today(now)
	missing := s.unseen(p.UserID, kind, day, contractIDs)
	if len(missing) == 0 {
		return nil
	}
	err := recordaccessdb.New(s.DB).RecordReads(ctx, recordaccessdb.RecordReadsParams{
		ReaderID: p.UserID, ReaderRole: string(p.Role), Kind: string(kind), Day: day, Now: now, ContractIds: missing})
	if err != nil {
		return fmt.Errorf("record access: %w", err)
	}
	s.markSeen(p.UserID, kind, day, missing)
	return nil
}

// unseen returns the contracts among ids whose read this process has not
// recorded today (each once).
func (s *Service) unseen(reader uuid.UUID, kind Kind, day time.Time, ids []uuid.UUID) []uuid.UUID {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.day.Equal(day) || len(s.seen) > maxSeen {
		s.day, s.seen = day, make(map[key]struct{})
	}
	var out []uuid.UUID
	for _, id := range ids {
		if _, ok := s.seen[key{reader, id, kind}]; !ok && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// markSeen remembers recorded keys for the rest of day.
func (s *Service) markSeen(reader uuid.UUID, kind Kind, day time.Time, ids []uuid.UUID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.day.Equal(day) {
		return
	}
	for _, id := range ids {
		s.seen[key{reader, id, kind}] = struct{}{}
	}
}

// Mine returns a page of the reads of the caller's record, newest first.
// APPRENTICE only (FORBIDDEN for other roles: only apprentices have a
// record).
func (s *Service) Mine(ctx context.Context, a page.Args) (page.Page[Access], error) {
	p, err := auth.RequireRole(ctx, auth.Apprentice)
	if err != nil {
		return page.Page[Access]{}, err
	}
	afterAt, afterID := a.AfterKey()
	rows, err := recordaccessdb.New(s.DB).ListAccess(ctx, recordaccessdb.ListAccessParams{
		ApprenticeID: p.UserID, AfterAt: afterAt, AfterID: afterID, Lim: int32(a.Limit())})
	if err != nil {
		return page.Page[Access]{}, fmt.Errorf("record access: %w", err)
	}
	out := make([]Access, len(rows))
	for i, r := range rows {
		out[i] = Access{ID: r.ID, ReaderName: r.FirstName + " " + r.LastName, ReaderRole: auth.Role(r.ReaderRole),
			Kind: Kind(r.Kind), Day: r.Day, FirstReadAt: r.FirstReadAt}
	}
	return page.Build(out, a, func(x Access) page.Cursor { return page.Cursor{Time: x.FirstReadAt, ID: x.ID} }), nil
}

// CountMine returns how many rows Mine lists over all pages.
func (s *Service) CountMine(ctx context.Context) (int, error) {
	p, err := auth.RequireRole(ctx, auth.Apprentice)
	if err != nil {
		return 0, err
	}
	n, err := recordaccessdb.New(s.DB).CountAccess(ctx, p.UserID)
	if err != nil {
		return 0, fmt.Errorf("record access: %w", err)
	}
	return int(n), nil
}
