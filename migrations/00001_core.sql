-- +goose Up
-- Core domain: people, organisations, trades and the contract every other
-- record hangs off; the append-only audit log; the notification inbox.

CREATE TABLE companies (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    enterprise_number text NOT NULL,
    street            text NOT NULL DEFAULT '',
    postal_code       text NOT NULL DEFAULT '',
    city              text NOT NULL DEFAULT '',
    country           text NOT NULL DEFAULT 'BE',
    latitude          double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude         double precision CHECK (longitude BETWEEN -180 AND 180),
    created_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT companies_enterprise_number_key UNIQUE (enterprise_number)
);

CREATE TABLE training_centres (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    street      text NOT NULL DEFAULT '',
    postal_code text NOT NULL DEFAULT '',
    city        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email         text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    first_name    text NOT NULL,
    last_name     text NOT NULL,
    phone         text NOT NULL DEFAULT '',
    locale        text NOT NULL DEFAULT 'FR' CHECK (locale IN ('FR', 'NL', 'DE', 'EN')),
    role          text NOT NULL CHECK (role IN ('APPRENTICE', 'TUTOR', 'ADVISER', 'ADMIN')),
    active        boolean NOT NULL DEFAULT true,
    birth_date    date,
    company_id    uuid REFERENCES companies (id),
    password_hash text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_tutor_company CHECK (role <> 'TUTOR' OR company_id IS NOT NULL)
);
-- E-mail addresses are unique whatever their case.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_company_idx ON users (company_id) WHERE company_id IS NOT NULL;

CREATE TABLE trades (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code       text NOT NULL,
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT trades_code_key UNIQUE (code)
);

CREATE TABLE competencies (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    trade_id   uuid NOT NULL REFERENCES trades (id),
    code       text NOT NULL,
    title      text NOT NULL,
    grp        text NOT NULL DEFAULT '',
    position   integer NOT NULL DEFAULT 0,
    CONSTRAINT competencies_trade_code_key UNIQUE (trade_id, code)
);

CREATE TABLE contracts (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    apprentice_id uuid NOT NULL REFERENCES users (id),
    company_id    uuid NOT NULL REFERENCES companies (id),
    tutor_id      uuid NOT NULL REFERENCES users (id),
    adviser_id    uuid NOT NULL REFERENCES users (id),
    centre_id     uuid NOT NULL REFERENCES training_centres (id),
    trade_id      uuid NOT NULL REFERENCES trades (id),
    start_date    date NOT NULL,
    end_date      date NOT NULL,
    weekly_hours  numeric(4, 1) NOT NULL CHECK (weekly_hours > 0 AND weekly_hours <= 60),
    status        text NOT NULL DEFAULT 'ACTIVE'
                  CHECK (status IN ('DRAFT', 'ACTIVE', 'SUSPENDED', 'ENDED', 'TERMINATED')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT contracts_dates CHECK (end_date > start_date)
);
-- An apprentice has at most one ACTIVE contract at a time.
CREATE UNIQUE INDEX contracts_one_active_per_apprentice
    ON contracts (apprentice_id) WHERE status = 'ACTIVE';
CREATE INDEX contracts_apprentice_idx ON contracts (apprentice_id);
CREATE INDEX contracts_tutor_idx ON contracts (tutor_id);
CREATE INDEX contracts_adviser_idx ON contracts (adviser_id);
CREATE INDEX contracts_status_idx ON contracts (status);

-- Append-only record of every change that matters. The application never
-- updates or deletes a row; the trigger makes sure nobody does by mistake.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    uuid,
    action      text NOT NULL,
    target_type text NOT NULL,
    target_id   text NOT NULL,
    request_id  text NOT NULL DEFAULT '',
    details     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id, at);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at);

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- The in-app inbox. Title and body are rendered in the recipient's locale
-- when the notification is created.
CREATE TABLE notifications (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid NOT NULL REFERENCES users (id),
    kind       text NOT NULL,
    title      text NOT NULL,
    body       text NOT NULL,
    link       text NOT NULL DEFAULT '',
    params     jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at    timestamptz
);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC, id DESC);
CREATE INDEX notifications_unread_idx ON notifications (user_id) WHERE read_at IS NULL;

-- +goose Down
DROP TABLE notifications;
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE contracts;
DROP TABLE competencies;
DROP TABLE trades;
DROP TABLE users;
DROP TABLE training_centres;
DROP TABLE companies;
