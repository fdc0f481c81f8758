-- +goose Up
-- Privacy: erased users are marked (erasure is idempotent and the retention
-- job skips them), and the audit log may be pruned past its retention period
-- through one function only: the append-only trigger lets a DELETE through
-- when it runs inside audit_log_prune, and refuses every UPDATE and every
-- other DELETE as before.

ALTER TABLE users ADD COLUMN erased_at timestamptz;

-- What the retention job deletes, found without scanning the tables.
CREATE INDEX notifications_read_created_idx ON notifications (created_at) WHERE read_at IS NOT NULL;
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('jalon.audit_prune', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
-- +goose StatementEnd

-- audit_log_prune deletes the entries recorded before cutoff and returns how
-- many. The setting it raises is local to the transaction and lowered again
-- before it returns.
-- +goose StatementBegin
CREATE FUNCTION audit_log_prune(cutoff timestamptz) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    PERFORM set_config('jalon.audit_prune', 'on', true);
    DELETE FROM audit_log WHERE at < cutoff;
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM set_config('jalon.audit_prune', 'off', true);
    RETURN n;
END;
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION audit_log_prune(timestamptz);
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
-- +goose StatementEnd
DROP INDEX audit_log_at_idx;
DROP INDEX notifications_read_created_idx;
ALTER TABLE users DROP COLUMN erased_at;
