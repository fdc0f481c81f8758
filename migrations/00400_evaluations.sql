-- +goose Up
-- Evaluations: templates per trade (criteria, score scale, schedule), the
-- evaluations scheduled for each contract from them, their scored criteria
-- and the three signatures with the hash of the content each one signed.

CREATE TABLE evaluation_templates (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    trade_id           uuid NOT NULL REFERENCES trades (id),
    title              text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    scale_min          integer NOT NULL CHECK (scale_min >= 0),
    scale_max          integer NOT NULL,
    -- [{"value": 1, "fr": "...", "nl": "...", "de": "...", "en": "..."}], one per value.
    scale_labels       jsonb NOT NULL DEFAULT '[]',
    months_after_start integer[] NOT NULL DEFAULT '{}',
    days_before_end    integer CHECK (days_before_end BETWEEN 0 AND 365),
    created_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT evaluation_templates_scale CHECK (scale_max > scale_min AND scale_max - scale_min <= 10)
);
CREATE INDEX evaluation_templates_trade_idx ON evaluation_templates (trade_id);

CREATE TABLE evaluation_template_criteria (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    template_id   uuid NOT NULL REFERENCES evaluation_templates (id),
    position      integer NOT NULL,
    competency_id uuid REFERENCES competencies (id),
    label         text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
    description   text NOT NULL DEFAULT '',
    CONSTRAINT evaluation_template_criteria_position_key UNIQUE (template_id, position)
);

-- One evaluation per contract, template and slot ("M3", "M6", "END"): the
-- schedule is created with ON CONFLICT on this key, so it is idempotent.
CREATE TABLE evaluations (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    contract_id     uuid NOT NULL REFERENCES contracts (id),
    template_id     uuid NOT NULL REFERENCES evaluation_templates (id),
    slot            text NOT NULL,
    title           text NOT NULL,
    due_date        date NOT NULL,
    status          text NOT NULL DEFAULT 'SCHEDULED'
                    CHECK (status IN ('SCHEDULED', 'IN_PROGRESS', 'AWAITING_APPRENTICE', 'AWAITING_ADVISER', 'SIGNED')),
    version         integer NOT NULL DEFAULT 1,
    general_comment text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT evaluations_slot_key UNIQUE (contract_id, template_id, slot)
);
CREATE INDEX evaluations_contract_due_idx ON evaluations (contract_id, due_date, id);
CREATE INDEX evaluations_open_due_idx ON evaluations (due_date) WHERE status <> 'SIGNED';

-- The criteria are copied from the template when the evaluation is created,
-- so what was scored stays what the signatures cover.
CREATE TABLE evaluation_criteria (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    evaluation_id uuid NOT NULL REFERENCES evaluations (id) ON DELETE CASCADE,
    position      integer NOT NULL,
    competency_id uuid REFERENCES competencies (id),
    label         text NOT NULL,
    description   text NOT NULL DEFAULT '',
    score         integer,
    comment       text NOT NULL DEFAULT '',
    CONSTRAINT evaluation_criteria_position_key UNIQUE (evaluation_id, position)
);
CREATE INDEX evaluation_criteria_competency_idx ON evaluation_criteria (competency_id) WHERE score IS NOT NULL;

CREATE TABLE evaluation_signatures (
    evaluation_id uuid NOT NULL REFERENCES evaluations (id),
    role          text NOT NULL CHECK (role IN ('TUTOR', 'APPRENTICE', 'ADVISER')),
    signer_id     uuid NOT NULL REFERENCES users (id),
    signed_at     timestamptz NOT NULL,
    -- SHA-256 (hex) of the canonical content the signer signed.
    content_hash  text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
    PRIMARY KEY (evaluation_id, role)
);

-- +goose Down
DROP TABLE evaluation_signatures;
DROP TABLE evaluation_criteria;
DROP TABLE evaluations;
DROP TABLE evaluation_template_criteria;
DROP TABLE evaluation_templates;
