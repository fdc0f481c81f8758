-- name: RegisterDevice :one
-- Registering a token again refreshes it and moves it to the caller (a
-- shared family phone); it counts as new for a new owner.
INSERT INTO devices (user_id, token, platform, locale, app_version, created_at, last_seen_at)
VALUES (@user_id, @token, @platform, @locale, @app_version, @now::timestamptz, @now::timestamptz)
ON CONFLICT (token) DO UPDATE SET user_id = EXCLUDED.user_id, platform = EXCLUDED.platform,
    locale = EXCLUDED.locale, app_version = EXCLUDED.app_version, last_seen_at = EXCLUDED.last_seen_at,
    created_at = CASE WHEN devices.user_id = EXCLUDED.user_id THEN devices.created_at ELSE EXCLUDED.created_at END
RETURNING id, user_id, platform, locale, app_version, created_at, last_seen_at;

-- name: PruneDevices :exec
-- Keeps the @keep devices of the user seen most recently.
DELETE FROM devices WHERE id IN (
    SELECT d.id FROM devices d WHERE d.user_id = @user_id
    ORDER BY d.last_seen_at DESC, d.created_at DESC, d.id DESC
    OFFSET @keep::int);

-- name: UnregisterDevice :execrows
DELETE FROM devices WHERE token = @token AND user_id = @user_id;

-- name: Devices :many
SELECT id, user_id, platform, locale, app_version, created_at, last_seen_at
FROM devices WHERE user_id = @user_id
ORDER BY last_seen_at DESC, id DESC;

-- name: VisibleDevices :many
-- The caller's devices among @ids (any order).
SELECT id, user_id, platform, locale, app_version, created_at, last_seen_at
FROM devices WHERE user_id = @user_id AND id = ANY(@ids::uuid[]);

-- name: Preferences :one
-- No row: the user never changed them (push.DefaultPreferences apply).
SELECT p.quiet_hours_start, p.quiet_hours_end, p.timezone, p.muted_kinds, p.channels, p.digest
FROM notification_preferences p WHERE p.user_id = @user_id;

-- name: SavePreferences :exec
-- Times of day arrive as HH:MM; channels as a JSON object (kind -> channel).
INSERT INTO notification_preferences (user_id, quiet_hours_start, quiet_hours_end, timezone, muted_kinds,
    channels, digest, updated_at)
VALUES (@user_id, CAST(@quiet_hours_start::text AS time), CAST(@quiet_hours_end::text AS time), @timezone,
    @muted_kinds::text[], @channels::jsonb, @digest::text, now())
ON CONFLICT (user_id) DO UPDATE SET quiet_hours_start = EXCLUDED.quiet_hours_start,
    quiet_hours_end = EXCLUDED.quiet_hours_end, timezone = EXCLUDED.timezone,
    muted_kinds = EXCLUDED.muted_kinds, channels = EXCLUDED.channels, digest = EXCLUDED.digest,
    updated_at = now();

-- name: Delivery :one
-- What a delivery job pushes (the stored, already localized text) and the
-- recipient's preferences (NULL when never changed: the defaults apply).
SELECT n.id, n.user_id, n.kind, n.title, n.body, n.link, n.created_at,
       p.quiet_hours_start, p.quiet_hours_end, p.timezone, p.muted_kinds, p.channels, p.digest
FROM notifications n
LEFT JOIN notification_preferences p ON p.user_id = n.user_id
WHERE n.id = @notification_id;

-- name: DeliveryTargets :many
-- The devices of the recipient not served yet. A deactivated (or erased)
-- user's phones get nothing: the account is closed.
SELECT d.id, d.token, d.platform FROM devices d
JOIN users u ON u.id = d.user_id AND u.active
WHERE d.user_id = @user_id
  AND NOT EXISTS (SELECT 1 FROM notification_deliveries nd
                  WHERE nd.notification_id = @notification_id AND nd.device_id = d.id)
ORDER BY d.id;

-- name: RecordDeliveries :exec
-- A device deleted meanwhile (unregistered) is skipped.
INSERT INTO notification_deliveries (notification_id, device_id, delivered_at)
SELECT @notification_id, d, @now::timestamptz FROM unnest(@device_ids::uuid[]) d
WHERE EXISTS (SELECT 1 FROM devices WHERE id = d)
ON CONFLICT DO NOTHING;

-- name: DeleteDevices :exec
DELETE FROM devices WHERE id = ANY(@ids::uuid[]);
