// Package privacy implements what DESIGN.md's "Privacy (apprentices are
// often minors)" asks: a user's export of everything held about them, an
// administrator's erasure of a user, and the retention periods applied by a
// periodic job.
package privacy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/auth"
	"jalon/internal/blobstore"
	"jalon/internal/service"
)

// ExportFormat names the layout of the export document; it changes when a
// section changes meaning.
const ExportFormat = "jalon-export/1"

// SectionLimit bounds every list section of an export. A section that
// reaches it is named in the document's "truncated" list (a user holding
// more than this many log entries, notifications or audit entries gets the
// newest SectionLimit of them).
const SectionLimit = 10000

// Service exports and erases users' data and applies the retention periods.
// internal/app builds it once.
type Service struct {
	service.Base
	// Blobs holds log-book attachments (an erasure deletes them).
	Blobs blobstore.Store
}

// section is one part of the export: a key and the statement producing its
// JSON. The sections are written by hand, not in privacydb: sqlc v1.31.1
// cannot compile an ordered aggregate over a derived table's rows
// (json_agg(x ORDER BY ...) FROM (...) x fails with "edit stop location is
// out of bounds"), which is what every list section is. They stay one table
// run by one loop, each statement taking the same two parameters. Statements take $1 = the user's id and $2 = the section limit, and
// return one json value (an object, or an array of at most $2 + 1 elements
// so truncation shows).
type section struct {
	key  string
	list bool
	sql  string
}

// memberContracts are the contracts a user is a party to.
const memberContracts = `SELECT id FROM contracts WHERE $1 IN (apprentice_id, tutor_id, adviser_id)`

var sections = []section{
	{key: "profile", sql: `
		SELECT json_build_object(
			'id', u.id, 'email', u.email, 'firstName', u.first_name, 'lastName', u.last_name,
			'phone', u.phone, 'locale', u.locale, 'role', u.role, 'active', u.active,
			'birthDate', u.birth_date, 'baseLatitude', u.base_latitude, 'baseLongitude', u.base_longitude,
			'createdAt', u.created_at, 'updatedAt', u.updated_at,
			'erasedAt', u.erased_at,
			'company', CASE WHEN co.id IS NULL THEN NULL ELSE json_build_object('id', co.id, 'name', co.name, 'city', co.city) END)
		FROM users u LEFT JOIN companies co ON co.id = u.company_id
		WHERE u.id = $1 AND $2::int > 0`},
	{key: "contracts", list: true, sql: `
		SELECT coalesce(json_agg(x ORDER BY x."startDate" DESC, x.id), '[]') FROM (
			SELECT c.id, c.status, c.start_date AS "startDate", c.end_date AS "endDate", c.weekly_hours AS "weeklyHours",
				CASE $1::uuid WHEN c.apprentice_id THEN 'APPRENTICE' WHEN c.tutor_id THEN 'TUTOR' ELSE 'ADVISER' END AS "myRole",
				json_build_object('id', co.id, 'name', co.name, 'enterpriseNumber', co.enterprise_number,
					'street', co.street, 'postalCode', co.postal_code, 'city', co.city) AS company,
				json_build_object('id', tr.id, 'code', tr.code, 'name', tr.name) AS trade,
				json_build_object('id', ce.id, 'name', ce.name, 'city', ce.city) AS "trainingCentre",
				json_build_object('id', ap.id, 'firstName', ap.first_name, 'lastName', ap.last_name) AS apprentice,
				json_build_object('id', tu.id, 'firstName', tu.first_name, 'lastName', tu.last_name) AS tutor,
				json_build_object('id', ad.id, 'firstName', ad.first_name, 'lastName', ad.last_name) AS adviser
			FROM contracts c
			JOIN companies co ON co.id = c.company_id
			JOIN trades tr ON tr.id = c.trade_id
			JOIN training_centres ce ON ce.id = c.centre_id
			JOIN users ap ON ap.id = c.apprentice_id
			JOIN users tu ON tu.id = c.tutor_id
			JOIN users ad ON ad.id = c.adviser_id
			WHERE $1 IN (c.apprentice_id, c.tutor_id, c.adviser_id)
			ORDER BY c.start_date DESC, c.id LIMIT $2 + 1) x`},
	// The apprentice's own log book, with competencies, the latest review
	// and the attachments' metadata (the files themselves are downloaded
	// from the app).
	{key: "logEntries", list: true, sql: `
		SELECT coalesce(json_agg(x ORDER BY x.date DESC, x.id), '[]') FROM (
			SELECT e.id, e.contract_id AS "contractId", e.entry_date AS date, e.hours, e.activities, e.status,
				e.version, e.submitted_at AS "submittedAt", e.created_at AS "createdAt", e.updated_at AS "updatedAt",
				CASE WHEN e.reviewer_id IS NULL THEN NULL ELSE json_build_object(
					'reviewerId', e.reviewer_id, 'decision', e.review_decision,
					'comment', e.review_comment, 'reviewedAt', e.reviewed_at) END AS review,
				(SELECT coalesce(json_agg(json_build_object('id', cp.id, 'code', cp.code, 'title', cp.title) ORDER BY lc.position), '[]')
					FROM log_entry_competencies lc JOIN competencies cp ON cp.id = lc.competency_id
					WHERE lc.log_entry_id = e.id) AS competencies,
				(SELECT coalesce(json_agg(json_build_object('id', la.id, 'contentType', la.content_type,
						'size', la.size, 'createdAt', la.created_at) ORDER BY la.created_at, la.id), '[]')
					FROM log_attachments la WHERE la.log_entry_id = e.id) AS attachments
			FROM log_entries e JOIN contracts c ON c.id = e.contract_id
			WHERE c.apprentice_id = $1
			ORDER BY e.entry_date DESC, e.id LIMIT $2 + 1) x`},
	// Reviews the user wrote (tutor, adviser): the latest review of each
	// entry is kept on the entry; every review is also in the audit log.
	{key: "reviewsWritten", list: true, sql: `
		SELECT coalesce(json_agg(x ORDER BY x."reviewedAt" DESC, x."logEntryId"), '[]') FROM (
			SELECT e.id AS "logEntryId", e.contract_id AS "contractId", e.entry_date AS "entryDate",
				e.review_decision AS decision, e.review_comment AS comment, e.reviewed_at AS "reviewedAt"
			FROM log_entries e WHERE e.reviewer_id = $1
			ORDER BY e.reviewed_at DESC, e.id LIMIT $2 + 1) x`},
	{key: "visits", list: true, sql: `
		SELECT coalesce(json_agg(x ORDER BY x."startsAt" DESC, x.id), '[]') FROM (
			SELECT v.id, v.contract_id AS "contractId", v.adviser_id AS "adviserId", v.starts_at AS "startsAt",
				v.ends_at AS "endsAt", v.place, v.purpose, v.status,
				v.tutor_confirmed_at AS "tutorConfirmedAt", v.apprentice_confirmed_at AS "apprenticeConfirmedAt",
				v.report_summary AS "reportSummary", v.report_outcome AS "reportOutcome",
				v.report_actions AS "reportActions", v.completed_at AS "completedAt", v.cancel_reason AS "cancelReason",
				v.created_at AS "createdAt", v.updated_at AS "updatedAt"
			FROM visits v WHERE v.contract_id IN (` + memberContracts + `)
			ORDER BY v.starts_at DESC, v.id LIMIT $2 + 1) x`},
	{key: "evaluations", list: true, sql: `
		SELECT coalesce(json_agg(x ORDER BY x."dueDate" DESC, x.id), '[]') FROM (
			SELECT ev.id, ev.contract_id AS "contractId", ev.slot, ev.title, ev.due_date AS "dueDate", ev.status,
				ev.general_comment AS "generalComment", ev.created_at AS "createdAt", ev.updated_at AS "updatedAt",
				json_build_object('min', t.scale_min, 'max', t.scale_max, 'labels', t.scale_labels) AS scale,
				(SELECT coalesce(json_agg(json_build_object('id', cr.id, 'position', cr.position,
						'competencyId', cr.competency_id, 'label', cr.label, 'description', cr.description,
						'score', cr.score, 'comment', cr.comment) ORDER BY cr.position), '[]')
					FROM evaluation_criteria cr WHERE cr.evaluation_id = ev.id) AS criteria,
				(SELECT coalesce(json_agg(json_build_object('role', s.role, 'signerId', s.signer_id,
						'signedAt', s.signed_at, 'contentHash', s.content_hash) ORDER BY s.signed_at), '[]')
					FROM evaluation_signatures s WHERE s.evaluation_id = ev.id) AS signatures
			FROM evaluations ev JOIN evaluation_templates t ON t.id = ev.template_id
			WHERE ev.contract_id IN (` + memberContracts + `)
			ORDER BY ev.due_date DESC, ev.id LIMIT $2 + 1) x`},
	{key: "notifications", list: true, sql: `
		SELECT coalesce(json_agg(x ORDER BY x."createdAt" DESC, x.id), '[]') FROM (
			SELECT n.id, n.kind, n.title, n.body, n.link, n.params, n.created_at AS "createdAt", n.read_at AS "readAt"
			FROM notifications n WHERE n.user_id = $1
			ORDER BY n.created_at DESC, n.id DESC LIMIT $2 + 1) x`},
	// The push token itself is a secret: only a prefix of its SHA-256 shows,
	// enough to tell two devices apart.
	{key: "devices", list: true, sql: `
		SELECT coalesce(json_agg(x ORDER BY x."lastSeenAt" DESC, x.id), '[]') FROM (
			SELECT d.id, d.platform, d.locale, d.app_version AS "appVersion",
				left(encode(sha256(convert_to(d.token, 'UTF8')), 'hex'), 12) AS "tokenSha256Prefix",
				d.created_at AS "createdAt", d.last_seen_at AS "lastSeenAt"
			FROM devices d WHERE d.user_id = $1
			ORDER BY d.last_seen_at DESC, d.id LIMIT $2 + 1) x`},
	{key: "notificationPreferences", sql: `
		SELECT json_build_object('quietHoursStart', p.quiet_hours_start, 'quietHoursEnd', p.quiet_hours_end,
			'timezone', p.timezone, 'mutedKinds', p.muted_kinds, 'channels', p.channels, 'digest', p.digest,
			'updatedAt', p.updated_at)
		FROM notification_preferences p WHERE p.user_id = $1 AND $2::int > 0`},
	{key: "followUps", list: true, sql: `
		SELECT coalesce(json_agg(x ORDER BY x."dueAt" DESC, x.id), '[]') FROM (
			SELECT f.id, f.kind, f.contract_id AS "contractId", f.subject_id AS "subjectId", f.period,
				f.due_at AS "dueAt", f.params, f.link, f.status, f.created_at AS "createdAt", f.closed_at AS "closedAt"
			FROM follow_ups f WHERE f.owner_id = $1
			ORDER BY f.due_at DESC, f.id LIMIT $2 + 1) x`},
	// Guardian links on either side: an apprentice's guardians, a
	// guardian's wards, who they are to each other, on what basis, and
	// when access started and ended.
	{key: "guardianLinks", list: true, sql: `
		SELECT coalesce(json_agg(x ORDER BY x."linkedAt" DESC, x.id), '[]') FROM (
			SELECT g.id, CASE WHEN g.guardian_id = $1 THEN 'GUARDIAN' ELSE 'APPRENTICE' END AS "mySide",
				json_build_object('id', a.id, 'firstName', a.first_name, 'lastName', a.last_name) AS apprentice,
				json_build_object('id', gu.id, 'firstName', gu.first_name, 'lastName', gu.last_name) AS guardian,
				g.relationship, g.basis, g.status, g.linked_at AS "linkedAt", g.confirmed_at AS "confirmedAt",
				g.ended_at AS "endedAt", g.end_reason AS "endReason"
			FROM guardian_links g JOIN users a ON a.id = g.apprentice_id JOIN users gu ON gu.id = g.guardian_id
			WHERE $1 IN (g.apprentice_id, g.guardian_id)
			ORDER BY g.linked_at DESC, g.id LIMIT $2 + 1) x`},
	{key: "guardianSharing", sql: `
		SELECT json_build_object('logBook', s.log_book, 'updatedAt', s.updated_at)
		FROM guardian_sharing s WHERE s.apprentice_id = $1 AND $2::int > 0`},
	// Who read the apprentice's record (myRecordAccess), and the records
	// the user read of others.
	{key: "recordAccess", list: true, sql: `
		SELECT coalesce(json_agg(x ORDER BY x."firstReadAt" DESC, x.id), '[]') FROM (
			SELECT r.id, json_build_object('id', u.id, 'firstName', u.first_name, 'lastName', u.last_name) AS reader,
				r.reader_role AS "readerRole", r.kind, r.day, r.first_read_at AS "firstReadAt"
			FROM record_access r JOIN users u ON u.id = r.reader_id
			WHERE r.apprentice_id = $1
			ORDER BY r.first_read_at DESC, r.id LIMIT $2 + 1) x`},
	{key: "recordsRead", list: true, sql: `
		SELECT coalesce(json_agg(x ORDER BY x."firstReadAt" DESC, x.id), '[]') FROM (
			SELECT r.id, r.apprentice_id AS "apprenticeId", r.reader_role AS "asRole", r.kind, r.day,
				r.first_read_at AS "firstReadAt"
			FROM record_access r WHERE r.reader_id = $1
			ORDER BY r.first_read_at DESC, r.id LIMIT $2 + 1) x`},
	// Sessions: when the user signed in and until when; never the token hash.
	{key: "sessions", list: true, sql: `
		SELECT coalesce(json_agg(x ORDER BY x."createdAt" DESC, x.id), '[]') FROM (
			SELECT s.id, s.family_id AS "familyId", s.created_at AS "createdAt", s.expires_at AS "expiresAt",
				s.rotated_at AS "rotatedAt", s.revoked_at AS "revokedAt"
			FROM sessions s WHERE s.user_id = $1
			ORDER BY s.created_at DESC, s.id LIMIT $2 + 1) x`},
	// Review links mailed to a tutor: when, until when, their use; never the
	// token's hash or the browser's.
	{key: "reviewLinks", list: true, sql: `
		SELECT coalesce(json_agg(x ORDER BY x."createdAt" DESC, x.id), '[]') FROM (
			SELECT l.id, l.created_at AS "createdAt", l.expires_at AS "expiresAt", l.revoked_at AS "revokedAt",
				l.used_at AS "usedAt", l.last_used_at AS "lastUsedAt", l.renewed_at AS "renewedAt"
			FROM review_links l WHERE l.tutor_id = $1
			ORDER BY l.created_at DESC, l.id LIMIT $2 + 1) x`},
	// The apprentice's risk (right of access covers profiling): the current
	// risk of their contracts and the weekly history, with the reasons and
	// their evidence. Only the apprentice's own contracts: a tutor's or an
	// adviser's export does not carry apprentices' risk.
	{key: "riskCurrent", list: true, sql: `
		SELECT coalesce(json_agg(x ORDER BY x."contractId"), '[]') FROM (
			SELECT r.contract_id AS "contractId", r.level, r.score, r.reasons, r.computed_at AS "computedAt"
			FROM contract_risks r JOIN contracts c ON c.id = r.contract_id
			WHERE c.apprentice_id = $1
			ORDER BY r.contract_id LIMIT $2 + 1) x`},
	{key: "riskHistory", list: true, sql: `
		SELECT coalesce(json_agg(x ORDER BY x.week DESC, x."contractId"), '[]') FROM (
			SELECT s.contract_id AS "contractId", s.week, s.level, s.score, s.reasons, s.computed_at AS "computedAt"
			FROM risk_snapshots s JOIN contracts c ON c.id = s.contract_id
			WHERE c.apprentice_id = $1
			ORDER BY s.week DESC, s.contract_id LIMIT $2 + 1) x`},
	{key: "auditLog", list: true, sql: `
		SELECT coalesce(json_agg(x ORDER BY x.at DESC, x.id DESC), '[]') FROM (
			SELECT a.id, a.at, a.action, a.target_type AS "targetType", a.target_id AS "targetId",
				a.request_id AS "requestId", a.details, a.via
			FROM audit_log a WHERE a.actor_id = $1
			ORDER BY a.at DESC, a.id DESC LIMIT $2 + 1) x`},
}

// Export returns the caller's export document (see ExportFormat): a JSON
// object with "format", "exportedAt", "userId", "truncated" (the list
// sections that reached SectionLimit) and one key per section, in the order
// of sections. It reads from one repeatable-read snapshot, one statement per
// section. Error: UNAUTHENTICATED without a caller.
func (s *Service) Export(ctx context.Context) ([]byte, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return s.ExportUser(ctx, p.UserID, SectionLimit)
}

// ExportUser builds the export document of user id at the clock's now, each
// list section holding at most limit items (no authorization: the caller
// decides whose data may be exported).
func (s *Service) ExportUser(ctx context.Context, id uuid.UUID, limit int) ([]byte, error) {
	now := s.Clock.Now()
	values := make([]json.RawMessage, len(sections))
	truncated := []string{}
	err := pgx.BeginFunc(ctx, s.DB, func(tx pgx.Tx) error {
		// One snapshot for every section. Set here rather than in BEGIN:
		// postgres.DB opens plain transactions.
		if _, err := tx.Exec(ctx, `SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		for i, sec := range sections {
			var raw []byte
			err := tx.QueryRow(ctx, sec.sql, id, limit).Scan(&raw)
			if errors.Is(err, pgx.ErrNoRows) {
				raw = []byte("null")
			} else if err != nil {
				return fmt.Errorf("export %s: %w", sec.key, err)
			}
			if sec.list {
				var items []json.RawMessage
				if err := json.Unmarshal(raw, &items); err != nil {
					return fmt.Errorf("export %s: %w", sec.key, err)
				}
				if len(items) > limit {
					truncated = append(truncated, sec.key)
					if raw, err = json.Marshal(items[:limit]); err != nil {
						return err
					}
				}
			}
			values[i] = raw
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	head, _ := json.Marshal(map[string]any{"format": ExportFormat, "exportedAt": now.UTC(), "userId": id})
	buf.Write(head[:len(head)-1]) // keys in order: the head, then truncated and the sections
	tr, _ := json.Marshal(truncated)
	fmt.Fprintf(&buf, `,"truncated":%s`, tr)
	for i, sec := range sections {
		fmt.Fprintf(&buf, `,%q:`, sec.key)
		buf.Write(values[i])
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
