-- +goose Up
-- Who looked at an apprentice's record (issue 17): one row per apprentice,
-- reader, kind of record (LOG_BOOK, EVALUATIONS, VISITS) and Brussels day,
-- written at the reader's first read of that day (INSERT ... ON CONFLICT DO
-- NOTHING behind an in-process cache, see internal/recordaccess). The
-- reader's name is read from users when listed, so erasing a reader shows
-- their pseudonym, as the audit log does. Pruned with the audit log
-- (JALON_RETENTION_AUDIT).
CREATE TABLE record_access (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    apprentice_id uuid NOT NULL REFERENCES users (id),
    reader_id     uuid NOT NULL REFERENCES users (id),
    reader_role   text NOT NULL CHECK (reader_role IN ('TUTOR', 'ADVISER', 'ADMIN', 'GUARDIAN')),
    kind          text NOT NULL CHECK (kind IN ('LOG_BOOK', 'EVALUATIONS', 'VISITS')),
    day           date NOT NULL,
    first_read_at timestamptz NOT NULL,
    CONSTRAINT record_access_once_a_day UNIQUE (apprentice_id, reader_id, kind, day)
);
-- myRecordAccess: the apprentice's rows, newest first.
CREATE INDEX record_access_apprentice_idx ON record_access (apprentice_id, first_read_at DESC, id DESC);
-- The reads a user made (their export).
CREATE INDEX record_access_reader_idx ON record_access (reader_id);
-- Retention.
CREATE INDEX record_access_day_idx ON record_access (day);

-- +goose Down
DROP TABLE record_access;
