// Package migrations embeds Jalon's SQL migrations, applied by goose.
//
// Numbering leaves room per area: 000xx core, 001xx identity, 002xx log book,
// 003xx visits, 004xx evaluations, 005xx notifications and follow-ups, 010xx risk.
package migrations

import "embed"

// FS holds the *.sql migration files.
//
//go:embed *.sql
var FS embed.FS
