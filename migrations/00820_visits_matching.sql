-- +goose Up
-- visits_matching(from_at, to_at, with_status) is the filter of Query.visits
-- and Contract.visits, written once for both lists and their counts: start
-- time from from_at (inclusive) to to_at (exclusive), status with_status; a
-- NULL argument does not filter. Like visible_contracts(), a STABLE,
-- non-strict SQL function is inlined by the planner: each query plans as if
-- the predicate were written in place, and the indexes on visits serve it.
CREATE FUNCTION visits_matching(from_at timestamptz, to_at timestamptz, with_status text) RETURNS SETOF visits
LANGUAGE sql STABLE AS $$
    SELECT * FROM visits v
    WHERE (from_at IS NULL OR v.starts_at >= from_at)
      AND (to_at IS NULL OR v.starts_at < to_at)
      AND (with_status IS NULL OR v.status = with_status)
$$;

-- +goose Down
DROP FUNCTION visits_matching(timestamptz, timestamptz, text);
