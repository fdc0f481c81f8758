package graph

import (
	"jalon/internal/admin"
	"jalon/internal/contracts"
	"jalon/internal/evaluations"
	"jalon/internal/followup"
	"jalon/internal/guardians"
	"jalon/internal/identity"
	"jalon/internal/live"
	"jalon/internal/logbook"
	"jalon/internal/mail"
	"jalon/internal/node"
	"jalon/internal/notify"
	"jalon/internal/orgs"
	"jalon/internal/privacy"
	"jalon/internal/push"
	"jalon/internal/recordaccess"
	"jalon/internal/reviewlink"
	"jalon/internal/risk"
	"jalon/internal/users"
	"jalon/internal/visits"
)

// Resolver holds the areas' services, and nothing else: no pool, no
// configuration, so a resolver cannot reach the database or decide anything
// a service should (internal/app builds them; TestGraphCannotReachTheDatabase
// keeps graph/ from importing the database packages). One field per line,
// alphabetical.
type Resolver struct {
	// Admin writes reference data and contracts.
	Admin       *admin.Service
	Contracts   *contracts.Service
	Evaluations *evaluations.Service
	// FollowUps lists and dismisses the caller's follow-ups.
	FollowUps *followup.Service
	// Guardians links guardians to apprentices and lists the links.
	Guardians *guardians.Service
	// Identity signs users in and manages sessions, passwords and users.
	Identity *identity.Service
	// Live delivers new notifications to subscriptions.
	Live    *live.Hub
	Logbook *logbook.Service
	// Mail tells whether the caller's address failed.
	Mail *mail.Service
	// Nodes finds records by id for node(id:) and nodes(ids:), with the
	// services deciding who sees what.
	Nodes *node.Finder
	// Notify is the inbox (the caller's notifications).
	Notify *notify.Service
	Orgs   *orgs.Service
	// Privacy exports and erases users' data.
	Privacy *privacy.Service
	// Push manages the caller's devices and notification preferences.
	Push *push.Service
	// RecordAccess lists who read an apprentice's record.
	RecordAccess *recordaccess.Service
	// ReviewLinks revokes the caller's e-mailed review links.
	ReviewLinks *reviewlink.Service
	// Risk computes and reads contracts' risk, the caseload and
	// interventions (advisers and admins).
	Risk   *risk.Service
	Users  *users.Service
	Visits *visits.Service
}
