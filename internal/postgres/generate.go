package postgres

// Every area's typed SQL (see sqlc.yaml at the repository root).
//go:generate go tool sqlc generate -f ../../sqlc.yaml
