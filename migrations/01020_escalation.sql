-- +goose Up
-- Escalations have their own follow-up kinds (internal/followup):
-- LOG_REVIEW_ESCALATED (an entry unreviewed for 14 days, to the adviser) and
-- SIGNATURE_ESCALATED (an evaluation waiting for the apprentice's signature
-- for 14 days, to the adviser). The adviser's escalated LOG_REVIEW_PENDING
-- follow-ups take the new kind, so the first scan after the upgrade neither
-- closes them nor notifies the adviser again.
UPDATE follow_ups f SET kind = 'LOG_REVIEW_ESCALATED'
FROM contracts c
WHERE c.id = f.contract_id AND f.kind = 'LOG_REVIEW_PENDING' AND f.owner_id = c.adviser_id;

-- +goose Down
DELETE FROM follow_ups WHERE kind = 'SIGNATURE_ESCALATED';
UPDATE follow_ups SET kind = 'LOG_REVIEW_PENDING' WHERE kind = 'LOG_REVIEW_ESCALATED';
