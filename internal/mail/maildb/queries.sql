-- name: Delivery :one
-- What a mail job sends: the stored, already localized notification, its
-- recipient, their preferences (NULL when never changed: the defaults
-- apply), whether their address failed and whether this mail was sent.
SELECT n.id, n.user_id, n.kind, n.title, n.body, n.created_at,
       u.email, u.first_name, u.locale, u.role, u.active,
       p.quiet_hours_start, p.quiet_hours_end, p.timezone, p.muted_kinds, p.channels, p.digest,
       EXISTS (SELECT 1 FROM mail_failures f WHERE f.user_id = u.id
               AND f.address_sha256 = sha256(convert_to(lower(u.email), 'UTF8')))::bool AS failing,
       EXISTS (SELECT 1 FROM mail_deliveries md WHERE md.notification_id = n.id)::bool AS sent
FROM notifications n
JOIN users u ON u.id = n.user_id
LEFT JOIN notification_preferences p ON p.user_id = n.user_id
WHERE n.id = @notification_id;

-- name: RecordDelivery :exec
-- A notification deleted meanwhile (retention) is skipped.
INSERT INTO mail_deliveries (notification_id, sent_at)
SELECT n.id, @now::timestamptz FROM notifications n WHERE n.id = @notification_id
ON CONFLICT DO NOTHING;

-- name: MarkFailing :exec
-- The address that answered a permanent failure, as its SHA-256: the user
-- is mailed again once their address is another one.
INSERT INTO mail_failures (user_id, address_sha256, failed_at, reply)
VALUES (@user_id, sha256(convert_to(lower(@email::text), 'UTF8')), @now::timestamptz, @reply::text)
ON CONFLICT (user_id) DO UPDATE SET address_sha256 = EXCLUDED.address_sha256,
    failed_at = EXCLUDED.failed_at, reply = EXCLUDED.reply;

-- name: Failing :one
-- Whether the user's current address is the one that failed.
SELECT EXISTS (SELECT 1 FROM mail_failures f JOIN users u ON u.id = f.user_id
               WHERE f.user_id = @user_id
                 AND f.address_sha256 = sha256(convert_to(lower(u.email), 'UTF8')))::bool;

-- name: Recipient :one
-- A user as a mail recipient (an unsubscribe page, a digest): language,
-- preferences, whether their address failed, the digest period last sent.
SELECT u.id, u.email, u.first_name, u.locale, u.role, u.active,
       p.quiet_hours_start, p.quiet_hours_end, p.timezone, p.muted_kinds, p.channels, p.digest,
       EXISTS (SELECT 1 FROM mail_failures f WHERE f.user_id = u.id
               AND f.address_sha256 = sha256(convert_to(lower(u.email), 'UTF8')))::bool AS failing,
       g.sent_period
FROM users u
LEFT JOIN notification_preferences p ON p.user_id = u.id
LEFT JOIN mail_digests g ON g.user_id = u.id
WHERE u.id = @user_id;

-- name: DigestCandidates :many
-- Active tutors who asked for a digest and got none queued for about a
-- period (since @daily_before for a daily one, @weekly_before for a weekly
-- one): Go decides, in each one's time zone and quiet hours, whether a new
-- period is due.
SELECT u.id, p.quiet_hours_start, p.quiet_hours_end, p.timezone, p.muted_kinds, p.channels, p.digest,
       g.period
FROM notification_preferences p
JOIN users u ON u.id = p.user_id AND u.active AND u.role = 'TUTOR'
LEFT JOIN mail_digests g ON g.user_id = p.user_id
WHERE p.digest <> 'OFF'
  AND (g.queued_at IS NULL
       OR g.queued_at <= CASE p.digest WHEN 'DAILY' THEN @daily_before::timestamptz ELSE @weekly_before::timestamptz END)
ORDER BY u.id;

-- name: QueueDigests :exec
-- The periods whose digest jobs are enqueued in the same transaction.
INSERT INTO mail_digests (user_id, period, queued_at)
SELECT unnest(@user_ids::uuid[]), unnest(@periods::text[]), @now::timestamptz
ON CONFLICT (user_id) DO UPDATE SET period = EXCLUDED.period, queued_at = EXCLUDED.queued_at;

-- name: DigestSent :exec
UPDATE mail_digests SET sent_period = @period::text, sent_at = @now::timestamptz WHERE user_id = @user_id;

-- name: DigestEntries :many
-- The log entries waiting for the tutor's review, per contract of theirs:
-- how many and the first and last of their dates (never their text).
SELECT c.id AS contract_id, a.first_name, a.last_name, count(*)::int AS entries,
       min(e.entry_date)::date AS first_date, max(e.entry_date)::date AS last_date
FROM visible_contracts(@tutor_id, 'TUTOR') c
JOIN users a ON a.id = c.apprentice_id
JOIN log_entries e ON e.contract_id = c.id AND e.status = 'SUBMITTED'
WHERE c.tutor_id = @tutor_id
GROUP BY c.id, a.first_name, a.last_name
ORDER BY a.last_name, a.first_name, c.id;

-- name: DigestEvaluations :many
-- The evaluations of the tutor's active contracts waiting for their scores
-- and signature: started, or due by @due_by (7 days after today: the window
-- of the EVALUATION_DUE and EVALUATION_OVERDUE follow-ups) or overdue.
SELECT c.id AS contract_id, a.first_name, a.last_name, ev.title, ev.due_date
FROM visible_contracts(@tutor_id, 'TUTOR') c
JOIN users a ON a.id = c.apprentice_id
JOIN evaluations ev ON ev.contract_id = c.id
WHERE c.tutor_id = @tutor_id AND c.status = 'ACTIVE'
  AND ev.status IN ('SCHEDULED', 'IN_PROGRESS')
  AND (ev.status = 'IN_PROGRESS' OR ev.due_date <= @due_by::date)
ORDER BY a.last_name, a.first_name, c.id, ev.due_date, ev.id;

-- name: GuardianWards :many
-- The apprentices a guardian follows (ACTIVE links), for their invitation
-- mail.
SELECT a.first_name, a.last_name
FROM guardian_links l JOIN users a ON a.id = l.apprentice_id
WHERE l.guardian_id = @guardian_id AND l.status = 'ACTIVE'
ORDER BY a.last_name, a.first_name;
