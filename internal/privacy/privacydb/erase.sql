-- name: LockUserName :one
SELECT first_name, last_name FROM users WHERE id = @id FOR UPDATE;

-- name: ScrubUser :exec
UPDATE users SET first_name = @first_name::text, last_name = @last_name::text, email = @email::text, phone = '',
    birth_date = NULL, base_latitude = NULL, base_longitude = NULL, password_hash = NULL, active = false,
    updated_at = @now::timestamptz, erased_at = coalesce(erased_at, @now::timestamptz)
WHERE id = @id::uuid;

-- name: DeleteDevices :exec
DELETE FROM devices WHERE user_id = @user_id;

-- name: DeleteNotifications :exec
DELETE FROM notifications WHERE user_id = @user_id;

-- name: DeletePreferences :exec
DELETE FROM notification_preferences WHERE user_id = @user_id;

-- name: DeleteMailFailure :exec
-- The hash of the address whose mail failed.
DELETE FROM mail_failures WHERE user_id = @user_id;

-- name: DeleteMailDigests :exec
-- The digest periods (the mails sent go with the notifications).
DELETE FROM mail_digests WHERE user_id = @user_id;

-- name: DeleteCalendarFeed :exec
DELETE FROM calendar_feeds WHERE adviser_id = @user_id;

-- name: DeleteLoginFailures :exec
-- The account's login failures are recorded under the user's id (as text).
DELETE FROM login_failures WHERE scope = 'account' AND key = @account_key::text;

-- name: DismissOpenFollowUps :exec
UPDATE follow_ups SET status = 'DISMISSED', closed_at = @now::timestamptz WHERE owner_id = @user_id AND status = 'OPEN';

-- name: RenameInPartnersNotifications :exec
-- Other people's inboxes name the user in their texts and params (rendered
-- when they were created): within the user's contracts, the full name
-- becomes the pseudonym. old_json and new_json are the names as they appear
-- inside a JSON string.
UPDATE notifications n
SET title = replace(n.title, @old_name::text, @new_name::text), body = replace(n.body, @old_name::text, @new_name::text),
    params = replace(n.params::text, @old_json::text, @new_json::text)::jsonb
WHERE @old_name::text <> ''
  AND n.user_id IN (SELECT unnest(ARRAY[c.apprentice_id, c.tutor_id, c.adviser_id]) FROM contracts c
                    WHERE @user_id::uuid IN (c.apprentice_id, c.tutor_id, c.adviser_id))
  AND (strpos(n.title, @old_name::text) > 0 OR strpos(n.body, @old_name::text) > 0 OR strpos(n.params::text, @old_json::text) > 0);

-- name: RenameInPartnersFollowUps :exec
-- Follow-ups of the user's contracts name the user in their params.
UPDATE follow_ups f SET params = replace(f.params::text, @old_json::text, @new_json::text)::jsonb
WHERE @old_json::text <> ''
  AND f.contract_id IN (SELECT c.id FROM contracts c WHERE @user_id::uuid IN (c.apprentice_id, c.tutor_id, c.adviser_id))
  AND strpos(f.params::text, @old_json::text) > 0;

-- name: ScrubLogEntries :exec
-- Phones syncing with updatedSince get the scrubbed text (version and
-- updated_at move).
UPDATE log_entries e SET activities = @erased_text::text,
    review_comment = CASE WHEN e.review_comment IS NULL OR e.review_comment = '' THEN e.review_comment ELSE @erased_text::text END,
    version = e.version + 1, updated_at = @now
FROM contracts c
WHERE c.id = e.contract_id AND c.apprentice_id = @user_id
  AND (e.activities <> @erased_text::text OR coalesce(e.review_comment, '') NOT IN ('', @erased_text::text));

-- name: DeleteAttachments :many
-- The apprentice's attachment rows; their files are deleted after commit.
DELETE FROM log_attachments a USING log_entries e, contracts c
WHERE e.id = a.log_entry_id AND c.id = e.contract_id AND c.apprentice_id = @user_id
RETURNING a.id;

-- name: RenameInLinkedNotifications :exec
-- The inboxes of the other side of the user's guardian links (an
-- apprentice's guardians, a guardian's wards) name the user too.
UPDATE notifications n
SET title = replace(n.title, @old_name::text, @new_name::text), body = replace(n.body, @old_name::text, @new_name::text),
    params = replace(n.params::text, @old_json::text, @new_json::text)::jsonb
WHERE @old_name::text <> ''
  AND n.user_id IN (SELECT CASE WHEN g.apprentice_id = @user_id::uuid THEN g.guardian_id ELSE g.apprentice_id END
                    FROM guardian_links g WHERE @user_id::uuid IN (g.apprentice_id, g.guardian_id))
  AND (strpos(n.title, @old_name::text) > 0 OR strpos(n.body, @old_name::text) > 0 OR strpos(n.params::text, @old_json::text) > 0);

-- name: EndApprenticeGuardianLinks :exec
-- Erasing an apprentice unlinks their guardians (the links are kept, ended,
-- so each guardian's record says why their access ended).
UPDATE guardian_links SET status = 'ENDED', ended_at = @now::timestamptz, end_reason = 'ERASED', ended_by = sqlc.narg('actor')::uuid
WHERE apprentice_id = @user_id AND status <> 'ENDED';

-- name: DeleteGuardianLinks :exec
-- Erasing a guardian removes their links (who they were to whom).
DELETE FROM guardian_links WHERE guardian_id = @user_id;

-- name: DeleteGuardianSharing :exec
DELETE FROM guardian_sharing WHERE apprentice_id = @user_id;

-- name: DeleteInvitations :exec
DELETE FROM invitations WHERE user_id = @user_id;
