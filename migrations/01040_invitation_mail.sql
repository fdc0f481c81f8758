-- +goose Up
-- Invitations mailed to the invitee (issue 17, point 1, with the e-mail
-- channel of issue 16). The mail job carries the invitation's id, never its
-- token: the worker mints a fresh token when it sends (the stored SHA-256 is
-- replaced), so only the mailed link works and a retried job leaves one
-- valid link. mailed_at records the mail once sent, so a retry does not mail
-- again.
ALTER TABLE invitations ADD COLUMN mailed_at timestamptz;

-- +goose Down
ALTER TABLE invitations DROP COLUMN mailed_at;
