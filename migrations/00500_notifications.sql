-- +goose Up
-- Follow-ups (what someone must do, derived from the data by rules), devices
-- that receive push, per-user notification preferences, per-device push
-- delivery records, and the live-delivery trigger of the inbox.

-- A follow-up is unique per rule (kind), subject, owner and period: a periodic
-- scan inserts with ON CONFLICT DO NOTHING, so two scans at once, or a scan
-- repeated every 15 minutes, never create (nor notify) a duplicate.
CREATE TABLE follow_ups (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind        text NOT NULL,
    contract_id uuid NOT NULL REFERENCES contracts (id),
    owner_id    uuid NOT NULL REFERENCES users (id),
    subject_id  uuid NOT NULL,
    period      text NOT NULL,
    due_at      timestamptz NOT NULL,
    params      jsonb NOT NULL DEFAULT '{}',
    link        text NOT NULL DEFAULT '',
    status      text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'DONE', 'DISMISSED')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    closed_at   timestamptz,
    CONSTRAINT follow_ups_rule_subject_owner_period_key UNIQUE (kind, subject_id, owner_id, period)
);
-- followUps(status): the owner's list, soonest due first.
CREATE INDEX follow_ups_owner_idx ON follow_ups (owner_id, status, due_at, id);
-- Auto-close scans the OPEN ones of a rule.
CREATE INDEX follow_ups_open_idx ON follow_ups (kind) WHERE status = 'OPEN';

-- Phones and browsers that receive push. A token belongs to one user at a time:
-- registering it again moves it to the caller (a shared family phone).
CREATE TABLE devices (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL REFERENCES users (id),
    token        text NOT NULL CHECK (length(token) BETWEEN 1 AND 4096),
    platform     text NOT NULL CHECK (platform IN ('ANDROID', 'IOS', 'WEB')),
    locale       text NOT NULL DEFAULT 'FR',
    app_version  text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT devices_token_key UNIQUE (token)
);
CREATE INDEX devices_user_idx ON devices (user_id, last_seen_at DESC);

-- Absent row = defaults (quiet hours 21:00–07:00 in Europe/Brussels, nothing muted).
CREATE TABLE notification_preferences (
    user_id           uuid PRIMARY KEY REFERENCES users (id),
    quiet_hours_start time NOT NULL DEFAULT '21:00',
    quiet_hours_end   time NOT NULL DEFAULT '07:00',
    timezone          text NOT NULL DEFAULT 'Europe/Brussels',
    muted_kinds       text[] NOT NULL DEFAULT '{}',
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- One row per notification pushed to a device: a retried delivery job skips
-- the devices already served, so nobody gets the same push twice.
CREATE TABLE notification_deliveries (
    notification_id uuid NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    device_id       uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    delivered_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (notification_id, device_id)
);
CREATE INDEX notification_deliveries_device_idx ON notification_deliveries (device_id);

-- Live delivery: every new inbox entry is announced on one channel; each
-- server process LISTENs once and fans out to its subscribers.
-- +goose StatementBegin
CREATE FUNCTION notifications_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('jalon_notification', NEW.user_id::text || ':' || NEW.id::text);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER notifications_announce AFTER INSERT ON notifications
    FOR EACH ROW EXECUTE FUNCTION notifications_announce();

-- +goose Down
DROP TRIGGER notifications_announce ON notifications;
DROP FUNCTION notifications_announce();
DROP TABLE notification_deliveries;
DROP TABLE notification_preferences;
DROP TABLE devices;
DROP TABLE follow_ups;
