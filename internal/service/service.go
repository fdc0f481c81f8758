// Package service holds what every area's service is built on, so that all
// areas receive their common dependencies the same way: internal/app builds
// one Base and embeds it in each area's Service.
package service

import (
	"github.com/rs/zerolog"

	"jalon/internal/clock"
	"jalon/internal/postgres"
)

// Base is embedded by every area's Service: the database (the pool; a
// service opens its own transactions with postgres.InTx), the clock (never
// time.Now: tests move time) and the process logger.
type Base struct {
	DB    postgres.DB
	Clock clock.Clock
	Log   zerolog.Logger
}
