package graph

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"jalon/internal/admin"
	"jalon/internal/auth"
	"jalon/internal/clock"
	"jalon/internal/config"
	"jalon/internal/contracts"
	"jalon/internal/evaluations"
	"jalon/internal/followup"
	"jalon/internal/identity"
	"jalon/internal/live"
	"jalon/internal/logbook"
	"jalon/internal/node"
	"jalon/internal/notify"
	"jalon/internal/orgs"
	"jalon/internal/privacy"
	"jalon/internal/push"
	"jalon/internal/signedurl"
	"jalon/internal/users"
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

	Evaluations *evaluations.Service
	Visits      *visits.Service
	Logbook     *logbook.Service
	// Identity signs users in and manages sessions, passwords and users.
	Identity *identity.Service
	// Privacy exports and erases users' data.
	Privacy *privacy.Service

	Admin     *admin.Service
	Contracts *contracts.Service
	// Nodes finds records by id for node(id:) and nodes(ids:), with the
	// services deciding who sees what.
	Nodes *node.Finder
	Orgs  *orgs.Service
	Users *users.Service
	// FollowUps lists and dismisses the caller's follow-ups.
	FollowUps *followup.Service
}
