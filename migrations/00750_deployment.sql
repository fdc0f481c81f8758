-- +goose Up
-- The database remembers that a production process used it: `jalon
-- seed-demo` (public passwords, an admin) refuses such a database whatever
-- the environment of the shell it runs in.
CREATE TABLE deployment (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    production_since timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE deployment;
