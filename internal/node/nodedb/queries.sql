-- name: NodeTypes :many
-- The table of each id: every branch is a primary-key lookup. The type
-- names are the GraphQL types'.
SELECT id, 'User'::text AS type FROM users WHERE id = ANY(@ids::uuid[])
UNION ALL SELECT id, 'Company' FROM companies WHERE id = ANY(@ids::uuid[])
UNION ALL SELECT id, 'TrainingCentre' FROM training_centres WHERE id = ANY(@ids::uuid[])
UNION ALL SELECT id, 'Trade' FROM trades WHERE id = ANY(@ids::uuid[])
UNION ALL SELECT id, 'Competency' FROM competencies WHERE id = ANY(@ids::uuid[])
UNION ALL SELECT id, 'Contract' FROM contracts WHERE id = ANY(@ids::uuid[])
UNION ALL SELECT id, 'LogEntry' FROM log_entries WHERE id = ANY(@ids::uuid[])
UNION ALL SELECT id, 'Attachment' FROM log_attachments WHERE id = ANY(@ids::uuid[])
UNION ALL SELECT id, 'Visit' FROM visits WHERE id = ANY(@ids::uuid[])
UNION ALL SELECT id, 'Evaluation' FROM evaluations WHERE id = ANY(@ids::uuid[])
UNION ALL SELECT id, 'EvaluationCriterion' FROM evaluation_criteria WHERE id = ANY(@ids::uuid[])
UNION ALL SELECT id, 'EvaluationTemplate' FROM evaluation_templates WHERE id = ANY(@ids::uuid[])
UNION ALL SELECT id, 'EvaluationTemplateCriterion' FROM evaluation_template_criteria WHERE id = ANY(@ids::uuid[])
UNION ALL SELECT id, 'Notification' FROM notifications WHERE id = ANY(@ids::uuid[])
UNION ALL SELECT id, 'Device' FROM devices WHERE id = ANY(@ids::uuid[])
UNION ALL SELECT id, 'FollowUp' FROM follow_ups WHERE id = ANY(@ids::uuid[])
UNION ALL SELECT id, 'GuardianLink' FROM guardian_links WHERE id = ANY(@ids::uuid[]);
