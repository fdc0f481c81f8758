package graph

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"jalon/internal/auth"
	"jalon/internal/clock"
	"jalon/internal/config"
	"jalon/internal/evaluations"
	"jalon/internal/identity"
	"jalon/internal/live"
	"jalon/internal/logbook"
	"jalon/internal/node"
	"jalon/internal/notify"
	"jalon/internal/privacy"
	"jalon/internal/push"
	"jalon/internal/signedurl"
	"jalon/internal/visits"
)

// Resolver holds the dependencies resolvers hand to the domain services.
// Areas add their services here.
type Resolver struct {
	Config config.Config
	DB     *pgxpool.Pool
	Clock  clock.Clock
	Tokens *auth.Tokens
	Log    zerolog.Logger
	// Notify is the inbox (notifications of the caller).
	Notify *notify.Service
	// Push manages the caller's devices and push preferences.
	Push *push.Service
	// Live delivers new notifications to subscriptions.
	Live *live.Hub
	URLs *signedurl.Signer

	EvaluationService *evaluations.Service
	Visits            *visits.Service
	Logbook           *logbook.Service
	// Identity signs users in and manages sessions, passwords and users.
	Identity *identity.Service
	// Privacy exports and erases users' data.
	Privacy *privacy.Service
}

// NodeFinder finds records by id for node(id:) and nodes(ids:), with the
// services above deciding who sees what.
func (r *Resolver) NodeFinder() *node.Finder {
	return &node.Finder{DB: r.DB, Logbook: r.Logbook, Evaluations: r.EvaluationService, Notify: r.Notify, Push: r.Push}
}
