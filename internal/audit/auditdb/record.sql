-- name: Record :exec
-- Appends one entry; the database's clock gives its time.
INSERT INTO audit_log (actor_id, action, target_type, target_id, request_id, details)
VALUES (sqlc.narg('actor_id')::uuid, @action, @target_type, @target_id, @request_id, @details::jsonb);

-- name: RecordSet :exec
-- Appends one entry per target (targets and details go in pairs) at an
-- explicit time, in one statement: the audit of a set-based change. The two
-- unnest calls of one SELECT list advance together (zipped, pairs kept).
INSERT INTO audit_log (at, actor_id, action, target_type, target_id, request_id, details)
SELECT @at::timestamptz, sqlc.narg('actor_id')::uuid, @action::text, @target_type::text,
    unnest(@target_ids::text[]), @request_id::text, unnest(@details::text[])::jsonb;
