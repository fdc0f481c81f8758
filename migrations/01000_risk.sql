-- +goose Up
-- Risk ("accrochage"): per active contract a score and a level computed from
-- reasons (internal/risk), the weekly snapshots the history reads, the
-- adviser's interventions, and the contracts to refresh after a change.
-- Nothing about the person (age, sex, nationality, birth date, address) is
-- read by the computation.

-- working_days_after(a, b): the Monday–Friday days d with a < d <= b (0 when
-- b <= a), in closed form (no generate_series per contract): f(x) counts the
-- working days from Monday 2000-01-03 to x.
CREATE FUNCTION working_days_after(a date, b date) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT greatest(0,
        ((b - date '2000-01-03') / 7 * 5 + least((b - date '2000-01-03') % 7 + 1, 5)) -
        ((a - date '2000-01-03') / 7 * 5 + least((a - date '2000-01-03') % 7 + 1, 5)))
$$;

-- The current risk of each ACTIVE contract (rows of other contracts are
-- removed by the next computation). reasons is a JSON array of
-- {kind, points, evidence, since}. high_since is the start of the current
-- HIGH episode; high_notified_at says its adviser was told (once an episode).
CREATE TABLE contract_risks (
    contract_id      uuid PRIMARY KEY REFERENCES contracts (id),
    level            text NOT NULL CHECK (level IN ('LOW', 'WATCH', 'HIGH')),
    level_rank       smallint NOT NULL CHECK (level_rank BETWEEN 0 AND 2),
    score            integer NOT NULL CHECK (score >= 0),
    reasons          jsonb NOT NULL DEFAULT '[]',
    computed_at      timestamptz NOT NULL,
    high_since       timestamptz,
    high_notified_at timestamptz
);
CREATE INDEX contract_risks_rank_idx ON contract_risks (level_rank DESC, score DESC, contract_id);

-- One point per contract and ISO week (week = its Monday): the last
-- computation of the week.
CREATE TABLE risk_snapshots (
    contract_id uuid NOT NULL REFERENCES contracts (id),
    week        date NOT NULL CHECK (extract(isodow FROM week) = 1),
    level       text NOT NULL CHECK (level IN ('LOW', 'WATCH', 'HIGH')),
    score       integer NOT NULL,
    reasons     jsonb NOT NULL DEFAULT '[]',
    computed_at timestamptz NOT NULL,
    PRIMARY KEY (contract_id, week)
);

-- What an adviser did about a contract. client_id makes a phone's retry
-- return the first record.
CREATE TABLE interventions (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id      uuid NOT NULL,
    contract_id    uuid NOT NULL REFERENCES contracts (id),
    author_id      uuid NOT NULL REFERENCES users (id),
    kind           text NOT NULL CHECK (kind IN ('CALL', 'MESSAGE', 'MEETING', 'VISIT', 'OTHER')),
    note           text NOT NULL CHECK (length(note) BETWEEN 1 AND 4000),
    agreed_actions text NOT NULL DEFAULT '' CHECK (length(agreed_actions) <= 4000),
    next_check_on  date,
    created_at     timestamptz NOT NULL,
    CONSTRAINT interventions_client_id_key UNIQUE (client_id)
);
CREATE INDEX interventions_contract_idx ON interventions (contract_id, created_at DESC, id DESC);
-- The INTERVENTION_CHECK follow-up rule reads the checks that fell due.
CREATE INDEX interventions_check_idx ON interventions (next_check_on) WHERE next_check_on IS NOT NULL;

-- Contracts whose data changed since the last refresh (on-change refresh):
-- appended by triggers, without a unique key so concurrent writers never
-- wait for each other; the refresh job deletes what it read.
CREATE TABLE risk_dirty (
    contract_id uuid NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);

-- The weekly caseload digests sent: one per adviser and ISO week (its
-- Monday), whatever the number of workers or runs.
CREATE TABLE risk_digests (
    adviser_id uuid NOT NULL REFERENCES users (id),
    week       date NOT NULL,
    sent_at    timestamptz NOT NULL,
    PRIMARY KEY (adviser_id, week)
);

-- +goose StatementBegin
CREATE FUNCTION risk_mark_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'contracts' THEN
        INSERT INTO risk_dirty (contract_id) VALUES (NEW.id);
    ELSE
        INSERT INTO risk_dirty (contract_id) VALUES (NEW.contract_id);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER log_entries_risk_dirty AFTER INSERT OR UPDATE OF status, entry_date, hours ON log_entries
    FOR EACH ROW EXECUTE FUNCTION risk_mark_dirty();
CREATE TRIGGER visits_risk_dirty AFTER INSERT OR UPDATE OF status, report_outcome ON visits
    FOR EACH ROW EXECUTE FUNCTION risk_mark_dirty();
CREATE TRIGGER evaluations_risk_dirty AFTER UPDATE OF status ON evaluations
    FOR EACH ROW EXECUTE FUNCTION risk_mark_dirty();
CREATE TRIGGER contracts_risk_dirty AFTER UPDATE OF status ON contracts
    FOR EACH ROW EXECUTE FUNCTION risk_mark_dirty();

-- "Not seen in the app": the latest session start of the apprentice.
CREATE INDEX sessions_user_created_idx ON sessions (user_id, created_at DESC);
-- "Suspended recently" reads the status changes of the audit log.
CREATE INDEX audit_log_status_changes_idx ON audit_log (target_id, at)
    WHERE action = 'contract.status_changed';

-- +goose Down
DROP INDEX audit_log_status_changes_idx;
DROP INDEX sessions_user_created_idx;
DROP TRIGGER contracts_risk_dirty ON contracts;
DROP TRIGGER evaluations_risk_dirty ON evaluations;
DROP TRIGGER visits_risk_dirty ON visits;
DROP TRIGGER log_entries_risk_dirty ON log_entries;
DROP FUNCTION risk_mark_dirty();
DROP TABLE risk_digests;
DROP TABLE risk_dirty;
DROP TABLE interventions;
DROP TABLE risk_snapshots;
DROP TABLE contract_risks;
DROP FUNCTION working_days_after(date, date);
