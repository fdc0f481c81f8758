-- name: Record :exec
-- Appends one entry; the database's clock gives its time. via is NULL for
-- the app and the API, 'review_link' for the review page of an e-mail link.
INSERT INTO audit_log (actor_id, action, target_type, target_id, request_id, details, via)
VALUES (sqlc.narg('actor_id')::uuid, @action, @target_type, @target_id, @request_id, @details::jsonb, sqlc.narg('via')::text);

-- name: RecordSet :exec
-- Appends one entry per target (targets and details go in pairs) at an
-- explicit time, in one statement: the audit of a set-based change. The two
-- unnest calls of one SELECT list advance together (zipped, pairs kept).
INSERT INTO audit_log (at, actor_id, action, target_type, target_id, request_id, details, via)
SELECT @at::timestamptz, sqlc.narg('actor_id')::uuid, @action::text, @target_type::text,
    unnest(@target_ids::text[]), @request_id::text, unnest(@details::text[])::jsonb, sqlc.narg('via')::text;
