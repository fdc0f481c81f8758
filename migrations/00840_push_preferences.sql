-- +goose Up
-- Every user's push preferences with the defaults filled in for those who
-- never changed them (no notification_preferences row): the one place those
-- defaults are written in SQL, read by the Notifier (when to schedule a
-- push) and by push delivery and settings (internal/push). Times of day are
-- minutes after midnight, as push.Clock counts them.
CREATE VIEW push_preferences AS
SELECT u.id AS user_id,
       (extract(epoch FROM coalesce(p.quiet_hours_start, '21:00'::time))::int / 60)::int AS quiet_hours_start,
       (extract(epoch FROM coalesce(p.quiet_hours_end, '07:00'::time))::int / 60)::int AS quiet_hours_end,
       coalesce(p.timezone, 'Europe/Brussels')::text AS timezone,
       coalesce(p.muted_kinds, '{}')::text[] AS muted_kinds
FROM users u
LEFT JOIN notification_preferences p ON p.user_id = u.id;

-- +goose Down
DROP VIEW push_preferences;
