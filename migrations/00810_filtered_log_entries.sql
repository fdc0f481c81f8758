-- +goose Up
-- filtered_log_entries(status, from_date, to_date, updated_since) is the one
-- definition of the log book's list filter (a NULL argument does not
-- filter): every list and count of entries selects from it, so the filter of
-- Query.logEntries and Contract.logEntries is written once. Like
-- visible_contracts, a STABLE, non-strict SQL function is inlined by the
-- planner: a query plans as if the predicates were written in place, and the
-- indexes on (contract_id, entry_date DESC, id DESC) serve it as before.
CREATE FUNCTION filtered_log_entries(status text, from_date date, to_date date, updated_since timestamptz)
RETURNS SETOF log_entries
LANGUAGE sql STABLE AS $$
    SELECT * FROM log_entries e
    WHERE (filtered_log_entries.status IS NULL OR e.status = filtered_log_entries.status)
      AND (from_date IS NULL OR e.entry_date >= from_date)
      AND (to_date IS NULL OR e.entry_date <= to_date)
      AND (updated_since IS NULL OR e.updated_at > updated_since)
$$;

-- +goose Down
DROP FUNCTION filtered_log_entries(text, date, date, timestamptz);
