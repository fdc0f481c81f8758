-- +goose Up
-- Review links: the signed, expiring, revocable links that e-mails carry to
-- a tutor's one-tap review page (internal/reviewlink). Only the SHA-256 of
-- the link's secret is stored; the link's signature (HMAC under
-- JALON_URL_SIGNING_KEY) is checked before this table is read.
CREATE TABLE review_links (
    id           uuid PRIMARY KEY,
    tutor_id     uuid NOT NULL REFERENCES users (id),
    -- SHA-256 of the secret half of the token.
    token_hash   bytea NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    -- Set by revokeReviewLinks, a password change or a deactivation.
    revoked_at   timestamptz,
    -- The first action taken through the link binds it to that browser
    -- (SHA-256 of the secret in its cookie): another browser then finds the
    -- link used up.
    used_at      timestamptz,
    browser_hash bytea,
    last_used_at timestamptz,
    -- A fresh link was mailed in this one's place (at most once per link).
    renewed_at   timestamptz,
    CONSTRAINT review_links_expiry CHECK (expires_at > created_at),
    CONSTRAINT review_links_bound CHECK ((used_at IS NULL) = (browser_hash IS NULL))
);
-- Revocation: the tutor's links still live.
CREATE INDEX review_links_tutor_idx ON review_links (tutor_id, expires_at) WHERE revoked_at IS NULL;

-- How an audited change reached Jalon: NULL for the app and the API (a
-- signed-in session), 'review_link' for the review page of an e-mail link.
ALTER TABLE audit_log ADD COLUMN via text CHECK (via IN ('review_link'));

-- +goose Down
ALTER TABLE audit_log DROP COLUMN via;
DROP TABLE review_links;
