-- +goose Up
-- Guardians (issue 17): a minor's parent or legal guardian follows their
-- apprenticeship read-only. A GUARDIAN user is linked to an apprentice by an
-- admin (guardian_links: who linked them, when, and on what basis); the link
-- gives access while ACTIVE. visible_contracts() gains the guardian's
-- branch; log_book_contracts() is the log book's narrower rule (guardians see
-- it only while the apprentice shares it). Invitations are the single-use,
-- expiring links with which a new account sets its first password.

ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('APPRENTICE', 'TUTOR', 'ADVISER', 'ADMIN', 'GUARDIAN'));

-- One row per link ever made. basis: LEGAL_REPRESENTATIVE (a parent or
-- legal guardian of a minor: active at once, until the apprentice turns 18)
-- or APPRENTICE_CONSENT (anyone else, or an adult apprentice: active once
-- the apprentice confirms). status: ACTIVE, AWAITING_CONFIRMATION, ENDED
-- (end_reason UNLINKED by an admin, MAJORITY by the periodic job, ERASED
-- with the apprentice's data).
CREATE TABLE guardian_links (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    apprentice_id uuid NOT NULL REFERENCES users (id),
    guardian_id   uuid NOT NULL REFERENCES users (id),
    relationship  text NOT NULL CHECK (relationship IN ('PARENT', 'LEGAL_GUARDIAN', 'OTHER')),
    basis         text NOT NULL CHECK (basis IN ('LEGAL_REPRESENTATIVE', 'APPRENTICE_CONSENT')),
    status        text NOT NULL CHECK (status IN ('ACTIVE', 'AWAITING_CONFIRMATION', 'ENDED')),
    linked_by     uuid REFERENCES users (id),
    linked_at     timestamptz NOT NULL,
    confirmed_at  timestamptz,
    ended_at      timestamptz,
    end_reason    text CHECK (end_reason IN ('UNLINKED', 'MAJORITY', 'ERASED')),
    ended_by      uuid REFERENCES users (id),
    CONSTRAINT guardian_links_two_people CHECK (apprentice_id <> guardian_id),
    CONSTRAINT guardian_links_ended CHECK ((status = 'ENDED') = (ended_at IS NOT NULL AND end_reason IS NOT NULL))
);
-- At most one current (not ended) link per apprentice and guardian.
CREATE UNIQUE INDEX guardian_links_current_key ON guardian_links (apprentice_id, guardian_id) WHERE status <> 'ENDED';
-- The guardian's branch of visible_contracts and the caller's wards.
CREATE INDEX guardian_links_guardian_idx ON guardian_links (guardian_id, apprentice_id) WHERE status = 'ACTIVE';
-- An apprentice's links (lists, notifications of their guardians, erasure).
CREATE INDEX guardian_links_apprentice_idx ON guardian_links (apprentice_id, linked_at);

-- The apprentice's choice to share their log book (text and photos) with
-- their guardians; no row = not shared.
CREATE TABLE guardian_sharing (
    apprentice_id uuid PRIMARY KEY REFERENCES users (id),
    log_book      boolean NOT NULL,
    updated_at    timestamptz NOT NULL
);

-- Single-use links to set a first password. Only the SHA-256 of the token
-- is stored.
CREATE TABLE invitations (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid NOT NULL REFERENCES users (id),
    token_hash bytea NOT NULL,
    created_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    CONSTRAINT invitations_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX invitations_user_idx ON invitations (user_id);

-- visible_contracts(caller, caller_role) as in 00800, plus the guardian's
-- branch: a GUARDIAN sees the contracts of the apprentices they hold an
-- ACTIVE link to. A UNION ALL keeps each branch indexable (an OR with a
-- subquery would scan contracts); the second branch is dropped at plan time
-- for every other role (its condition on caller_role is then false), and the
-- function is still inlined.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION visible_contracts(caller uuid, caller_role text) RETURNS SETOF contracts
LANGUAGE sql STABLE AS $$
    SELECT * FROM contracts c
    WHERE caller_role = 'ADMIN' OR c.apprentice_id = caller OR c.tutor_id = caller OR c.adviser_id = caller
    UNION ALL
    SELECT c.* FROM guardian_links g JOIN contracts c ON c.apprentice_id = g.apprentice_id
    WHERE caller_role = 'GUARDIAN' AND g.guardian_id = caller AND g.status = 'ACTIVE'
      AND NOT (c.apprentice_id = caller OR c.tutor_id = caller OR c.adviser_id = caller)
$$;
-- +goose StatementEnd

-- log_book_contracts(caller, caller_role) is the contracts whose log book
-- (entries, their text, photos, competency progress) the caller may read:
-- visible_contracts, less a guardian's wards who do not share their log
-- book. Inlined like visible_contracts.
CREATE FUNCTION log_book_contracts(caller uuid, caller_role text) RETURNS SETOF contracts
LANGUAGE sql STABLE AS $$
    SELECT c.* FROM visible_contracts(caller, caller_role) c
    WHERE caller_role <> 'GUARDIAN'
       OR EXISTS (SELECT 1 FROM guardian_sharing s WHERE s.apprentice_id = c.apprentice_id AND s.log_book)
$$;

-- +goose Down
DROP FUNCTION log_book_contracts(uuid, text);
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION visible_contracts(caller uuid, caller_role text) RETURNS SETOF contracts
LANGUAGE sql STABLE AS $$
    SELECT * FROM contracts c
    WHERE caller_role = 'ADMIN' OR c.apprentice_id = caller OR c.tutor_id = caller OR c.adviser_id = caller
$$;
-- +goose StatementEnd
DROP TABLE invitations;
DROP TABLE guardian_sharing;
DROP TABLE guardian_links;
-- Guardian accounts are kept (other tables reference them); the check
-- holds for new rows only.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('APPRENTICE', 'TUTOR', 'ADVISER', 'ADMIN')) NOT VALID;
