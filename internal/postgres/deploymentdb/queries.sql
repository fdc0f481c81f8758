-- name: MarkProduction :exec
-- Remembers that a production process used this database (seed-demo then
-- refuses it).
INSERT INTO deployment DEFAULT VALUES ON CONFLICT DO NOTHING;

-- name: UsedInProduction :one
SELECT EXISTS (SELECT 1 FROM deployment) AS used;
