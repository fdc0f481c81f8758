-- +goose Up
-- E-mail as a second channel (internal/mail): each person's channel per
-- notification kind and a tutor's digest frequency (in their notification
-- preferences), the addresses whose mail bounced permanently, the mails
-- already sent (a retried job never mails twice) and the digest periods
-- already queued and sent.

-- channels: kind -> 'PUSH' | 'EMAIL' | 'BOTH' | 'NONE'; a kind absent is
-- AUTO (push to a phone with the app, e-mail to a person without one).
ALTER TABLE notification_preferences
    ADD COLUMN channels jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(channels) = 'object'),
    ADD COLUMN digest   text  NOT NULL DEFAULT 'OFF' CHECK (digest IN ('OFF', 'DAILY', 'WEEKLY'));

-- A user whose address answered a permanent failure (5xx): nothing is mailed
-- to them while their address is the one that failed. The address is kept as
-- its SHA-256 (of the lower-cased address), enough to notice that it
-- changed; reply is the server's status code, never its free text (which
-- may repeat the address).
CREATE TABLE mail_failures (
    user_id        uuid PRIMARY KEY REFERENCES users (id),
    address_sha256 bytea NOT NULL,
    failed_at      timestamptz NOT NULL,
    reply          text NOT NULL
);

-- One row per notification mailed, written after the server accepted it.
CREATE TABLE mail_deliveries (
    notification_id uuid PRIMARY KEY REFERENCES notifications (id) ON DELETE CASCADE,
    sent_at         timestamptz NOT NULL
);

-- A tutor's digest: the period (a local date for DAILY, an ISO week for
-- WEEKLY) last queued and last sent, so each period has one digest.
CREATE TABLE mail_digests (
    user_id     uuid PRIMARY KEY REFERENCES users (id),
    period      text NOT NULL,
    queued_at   timestamptz NOT NULL,
    sent_period text,
    sent_at     timestamptz
);
-- The digest scan reads the preferences of those who asked for one.
CREATE INDEX notification_preferences_digest_idx ON notification_preferences (user_id) WHERE digest <> 'OFF';

-- +goose Down
DROP INDEX notification_preferences_digest_idx;
DROP TABLE mail_digests;
DROP TABLE mail_deliveries;
DROP TABLE mail_failures;
ALTER TABLE notification_preferences DROP COLUMN digest, DROP COLUMN channels;
