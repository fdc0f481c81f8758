-- +goose Up
-- Company visits by advisers, and the advisers' secret calendar-feed tokens.

-- btree_gist lets one GiST exclusion constraint mix "=" on a uuid with "&&"
-- on a time range.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE visits (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    contract_id             uuid NOT NULL REFERENCES contracts (id),
    adviser_id              uuid NOT NULL REFERENCES users (id),
    starts_at               timestamptz NOT NULL,
    ends_at                 timestamptz NOT NULL,
    place                   text NOT NULL CHECK (length(place) <= 500),
    purpose                 text NOT NULL CHECK (length(purpose) BETWEEN 1 AND 1000),
    status                  text NOT NULL DEFAULT 'PROPOSED'
                            CHECK (status IN ('PROPOSED', 'CONFIRMED', 'DONE', 'CANCELLED', 'MISSED')),
    tutor_confirmed_at      timestamptz,
    apprentice_confirmed_at timestamptz,
    report_summary          text,
    report_outcome          text CHECK (report_outcome IN ('ON_TRACK', 'NEEDS_ATTENTION', 'AT_RISK')),
    report_actions          text,
    completed_at            timestamptz,
    cancel_reason           text,
    -- iCalendar SEQUENCE: bumped on every reschedule and cancellation, so
    -- calendar clients replace their copy of the event.
    sequence                integer NOT NULL DEFAULT 0,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT visits_time_order CHECK (ends_at > starts_at),
    CONSTRAINT visits_done_has_report CHECK (status <> 'DONE' OR (report_summary IS NOT NULL AND report_outcome IS NOT NULL)),
    CONSTRAINT visits_cancelled_has_reason CHECK (status <> 'CANCELLED' OR cancel_reason IS NOT NULL),
    -- An adviser never holds two overlapping visits that are not cancelled.
    -- Enforced here so two simultaneous requests cannot both win.
    CONSTRAINT visits_adviser_no_overlap EXCLUDE USING gist (
        adviser_id WITH =,
        tstzrange(starts_at, ends_at) WITH &&
    ) WHERE (status <> 'CANCELLED')
);
-- Contract.visits, Contract.nextVisit, the planning queue.
CREATE INDEX visits_contract_idx ON visits (contract_id, starts_at, id);
-- The adviser's calendar feed and their list.
CREATE INDEX visits_adviser_idx ON visits (adviser_id, starts_at, id);
-- MarkMissed: the few visits still open.
CREATE INDEX visits_open_idx ON visits (ends_at) WHERE status IN ('PROPOSED', 'CONFIRMED');

-- One calendar feed per adviser; only the SHA-256 of the token is stored.
-- Rotating replaces the hash, so the old URL stops working at once.
CREATE TABLE calendar_feeds (
    adviser_id uuid PRIMARY KEY REFERENCES users (id),
    token_hash bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT calendar_feeds_token_hash_key UNIQUE (token_hash)
);

-- +goose Down
DROP TABLE calendar_feeds;
DROP TABLE visits;
