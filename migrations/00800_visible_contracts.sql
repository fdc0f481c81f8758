-- +goose Up
-- visible_contracts(caller, caller_role) is "the contracts this caller can
-- see", written once: an admin sees every contract, anyone else the contracts
-- they take part in (as apprentice, tutor or adviser). Every query over
-- contract-owned data selects from it, so "visible" means one thing
-- everywhere. A STABLE, non-strict SQL function is inlined by the planner:
-- the query plans as if the predicate were written in place, and the indexes
-- on apprentice_id, tutor_id and adviser_id serve it as before.
CREATE FUNCTION visible_contracts(caller uuid, caller_role text) RETURNS SETOF contracts
LANGUAGE sql STABLE AS $$
    SELECT * FROM contracts c
    WHERE caller_role = 'ADMIN' OR c.apprentice_id = caller OR c.tutor_id = caller OR c.adviser_id = caller
$$;

-- +goose Down
DROP FUNCTION visible_contracts(uuid, text);
