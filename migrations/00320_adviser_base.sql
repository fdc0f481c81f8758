-- +goose Up
-- An adviser's base (office or home), from which the planning queue measures
-- the distance to each company when no `near` point is given. Both
-- coordinates or neither; only advisers have one (checked by identity).
ALTER TABLE users
    ADD COLUMN base_latitude  double precision CHECK (base_latitude BETWEEN -90 AND 90),
    ADD COLUMN base_longitude double precision CHECK (base_longitude BETWEEN -180 AND 180),
    ADD CONSTRAINT users_base_both_or_neither CHECK ((base_latitude IS NULL) = (base_longitude IS NULL));

-- +goose Down
ALTER TABLE users
    DROP CONSTRAINT users_base_both_or_neither,
    DROP COLUMN base_longitude,
    DROP COLUMN base_latitude;
