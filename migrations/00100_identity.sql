-- +goose Up
-- Sessions and login throttling.

-- One row per refresh token ever issued. A session family starts at login;
-- every refreshSession rotates to a new row of the same family. Only the
-- SHA-256 of a token is stored.
CREATE TABLE sessions (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    family_id   uuid NOT NULL,
    user_id     uuid NOT NULL REFERENCES users (id),
    token_hash  bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    -- Set when the token was exchanged for its successor.
    rotated_at  timestamptz,
    -- Set when the family was revoked (logout, reuse, deactivation, password change).
    revoked_at  timestamptz,
    CONSTRAINT sessions_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX sessions_family_idx ON sessions (family_id);
CREATE INDEX sessions_user_live_idx ON sessions (user_id) WHERE revoked_at IS NULL;
-- Expired sessions are pruned a few at a time as new ones start.
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- Failed login attempts, by account (lower-cased e-mail, known or not) and by
-- client address. Kept in PostgreSQL so throttling holds across processes.
CREATE TABLE login_failures (
    id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope text NOT NULL CHECK (scope IN ('account', 'address')),
    key   text NOT NULL,
    at    timestamptz NOT NULL
);
CREATE INDEX login_failures_key_idx ON login_failures (scope, key, at DESC);
-- Failures older than the window are pruned a few at a time by later attempts.
CREATE INDEX login_failures_at_idx ON login_failures (at);

-- +goose Down
DROP TABLE login_failures;
DROP TABLE sessions;
