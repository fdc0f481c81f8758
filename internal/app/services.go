package app

import (
	"jalon/internal/admin"
	"jalon/internal/contracts"
	"jalon/internal/evaluations"
	"jalon/internal/followup"
	"jalon/internal/identity"
	"jalon/internal/logbook"
	"jalon/internal/node"
	"jalon/internal/orgs"
	"jalon/internal/privacy"
	"jalon/internal/service"
	"jalon/internal/users"
	"jalon/internal/visits"
)

// Services are the areas' services of one process. Each is built once, by
// buildServices, on the same service.Base; GraphQL, the HTTP handlers, the
// loaders and the workers all use these instances. One field per line,
// alphabetical.
type Services struct {
	// Admin writes reference data and contracts (and the CSV import).
	Admin       *admin.Service
	Contracts   *contracts.Service
	Evaluations *evaluations.Service
	FollowUps   *followup.Service
	// Identity signs users in; operator tools create users through it.
	Identity *identity.Service
	Logbook  *logbook.Service
	// Nodes finds records by id for Relay's node(id:) and nodes(ids:).
	Nodes   *node.Finder
	Orgs    *orgs.Service
	Privacy *privacy.Service
	Users   *users.Service
	Visits  *visits.Service
}

// base is what every area's service is built on.
func (a *App) base() service.Base {
	return service.Base{DB: a.Pool, Clock: a.Clock, Log: a.Log}
}

// buildServices builds every area's service (after the notifier, which
// services send through, and before the workers and the handler, which use
// them).
func (a *App) buildServices() {
	base := a.base()
	cfg := a.Config
	s := &a.Services
	s.Admin = &admin.Service{Base: base}
	s.Contracts = &contracts.Service{Base: base}
	s.Evaluations = &evaluations.Service{Base: base, Notify: a.Notify, URLs: a.urls}
	s.FollowUps = &followup.Service{Base: base, Notify: a.Notify}
	s.Identity = identity.New(base, cfg, a.Tokens, identity.HasherFrom(cfg.Identity))
	s.Logbook = &logbook.Service{Base: base, Notify: a.Notify, Blobs: a.blobs,
		MaxUpload: cfg.GraphQL.MaxUploadBytes, URLs: a.urls}
	s.Orgs = &orgs.Service{Base: base}
	s.Privacy = &privacy.Service{Base: base, Blobs: a.blobs}
	s.Users = &users.Service{Base: base}
	s.Visits = &visits.Service{Base: base, Notify: a.Notify, PublicURL: cfg.PublicURL}
	s.Nodes = &node.Finder{Base: base, Contracts: s.Contracts, Evaluations: s.Evaluations, FollowUps: s.FollowUps,
		Logbook: s.Logbook, Orgs: s.Orgs, Users: s.Users, Visits: s.Visits}
}
