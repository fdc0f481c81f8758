-- name: RecordUnlessRecent :exec
-- Appends, without an actor and at an explicit time, each entry of the
-- JSON array entries ({action, target_type, target_id, details}) unless an
-- entry of the same action and target was written after since. One statement: concurrent callers may add a
-- duplicate, never skip an entry.
INSERT INTO audit_log (at, action, target_type, target_id, request_id, details)
SELECT @at::timestamptz, e.action, e.target_type, e.target_id, @request_id::text, e.details
FROM jsonb_to_recordset(@entries::jsonb) AS e(action text, target_type text, target_id text, details jsonb)
WHERE NOT EXISTS (SELECT 1 FROM audit_log l
    WHERE l.target_type = e.target_type AND l.target_id = e.target_id
      AND l.at > @since::timestamptz AND l.action = e.action);
