-- +goose Up
-- Every change that can end a session or change what a caller may do is
-- announced on the channel jalon_auth with the user's id as payload: a
-- session revoked (logout, refresh-token reuse, password change,
-- deactivation) or deleted (pruned), a user deactivated, deleted or given
-- another role. Each server process keeps the callers it found valid in a
-- cache (auth.SessionCache) and forgets a user's entries when their id is
-- announced (live.Revocations), so a revocation holds in every process
-- without each request asking PostgreSQL. Triggers, not the Go code that
-- makes the changes, announce them: every path is covered, operator
-- commands and hand-written SQL included. A notification is sent when the
-- transaction commits (identical ones once), never for one rolled back.

-- +goose StatementBegin
CREATE FUNCTION auth_change_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'users' THEN
        PERFORM pg_notify('jalon_auth', OLD.id::text);
    ELSE
        PERFORM pg_notify('jalon_auth', OLD.user_id::text);
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER sessions_auth_change AFTER UPDATE ON sessions FOR EACH ROW
    WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.user_id IS DISTINCT FROM NEW.user_id
          OR OLD.family_id IS DISTINCT FROM NEW.family_id)
    EXECUTE FUNCTION auth_change_announce();
CREATE TRIGGER sessions_auth_delete AFTER DELETE ON sessions FOR EACH ROW
    EXECUTE FUNCTION auth_change_announce();
CREATE TRIGGER users_auth_change AFTER UPDATE ON users FOR EACH ROW
    WHEN (OLD.active IS DISTINCT FROM NEW.active OR OLD.role IS DISTINCT FROM NEW.role)
    EXECUTE FUNCTION auth_change_announce();
CREATE TRIGGER users_auth_delete AFTER DELETE ON users FOR EACH ROW
    EXECUTE FUNCTION auth_change_announce();

-- +goose Down
DROP TRIGGER users_auth_delete ON users;
DROP TRIGGER users_auth_change ON users;
DROP TRIGGER sessions_auth_delete ON sessions;
DROP TRIGGER sessions_auth_change ON sessions;
DROP FUNCTION auth_change_announce();
