-- +goose Up
-- E-mail addresses leave the audit log and the login throttle: from now on
-- they record the account's user id, or a keyed hash (HMAC under
-- JALON_IDENTITY_KEY) for an address that belongs to nobody, never the
-- address itself, so erasing a user leaves none of their e-mail behind.
-- Existing rows are rewritten the same way where SQL can (the key is not
-- available here): an address of a user becomes their id, an unknown one is
-- dropped (throttling rows; they only matter within the login window) or
-- replaced by 'redacted' (audit entries, which keep their other details).

UPDATE login_failures f SET key = u.id::text
FROM users u
WHERE f.scope = 'account' AND lower(u.email) = f.key;
DELETE FROM login_failures WHERE scope = 'account' AND key LIKE '%@%';

-- The audit log is append-only; this one rewrite is the exception.
ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;

UPDATE audit_log a SET target_id = coalesce(
        (SELECT u.id::text FROM users u WHERE lower(u.email) = a.target_id),
        a.details->>'userId',
        'redacted')
WHERE a.target_type = 'account' AND a.target_id LIKE '%@%';

UPDATE audit_log SET details = details - 'email'
WHERE action = 'user.created' AND details ? 'email';

UPDATE audit_log SET details = jsonb_set(details, '{email}', 'true')
WHERE action = 'user.updated' AND jsonb_typeof(details->'email') = 'string';

ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update;

-- +goose Down
-- The addresses are gone for good; nothing to restore.
SELECT 1;
