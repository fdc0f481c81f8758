-- name: DeleteReadNotifications :execrows
-- At most max_rows per statement, so no transaction locks a whole backlog.
DELETE FROM notifications WHERE id IN (
    SELECT id FROM notifications WHERE read_at IS NOT NULL AND created_at < @before::timestamptz LIMIT @max_rows::int);

-- name: PruneAuditLog :one
-- audit_log_prune is the only DELETE the append-only trigger lets through.
SELECT audit_log_prune(@before::timestamptz)::bigint AS pruned;

-- name: ApprenticesToErase :many
-- Apprentices not erased yet whose contracts have all ENDED or been
-- TERMINATED, the latest end date before cutoff.
SELECT u.id FROM users u
WHERE u.role = 'APPRENTICE' AND u.erased_at IS NULL
  AND EXISTS (SELECT 1 FROM contracts c WHERE c.apprentice_id = u.id)
  AND NOT EXISTS (SELECT 1 FROM contracts c WHERE c.apprentice_id = u.id
                  AND (c.status NOT IN ('ENDED', 'TERMINATED') OR c.end_date >= @cutoff::date))
ORDER BY u.id LIMIT @max_rows;

-- name: DeleteDeadReviewLinks :execrows
-- Review links that expired or were revoked before @before: they no longer
-- work (internal/reviewlink), and the audit log keeps what they did.
DELETE FROM review_links WHERE expires_at < @before::timestamptz OR revoked_at < @before::timestamptz;

-- name: PruneRecordAccess :execrows
-- The record access log is kept as long as the audit log.
DELETE FROM record_access WHERE day < @before::date;
