package app

import (
	"context"

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
	// Guardians links guardians to apprentices and ends links at majority.
	Guardians *guardians.Service
	// Identity signs users in; operator tools create users through it.
	Identity *identity.Service
	// Inbox reads notifications for their recipients.
	Inbox *notify.Service
	// Live delivers new notifications to this process's subscriptions.
	Live    *live.Hub
	Logbook *logbook.Service
	// Mail sends e-mail (notifications, digests) and answers unsubscribe
	// links; off without JALON_SMTP_URL.
	Mail *mail.Service
	// Nodes finds records by id for Relay's node(id:) and nodes(ids:).
	Nodes *node.Finder
	// Notify writes notifications for the other services (in their
	// transactions); its queue is set once the River client exists.
	Notify  *notify.Notifier
	Orgs    *orgs.Service
	Privacy *privacy.Service
	// Push holds devices, preferences and FCM delivery.
	Push *push.Service
	// RecordAccess records and lists who read apprentices' records.
	RecordAccess *recordaccess.Service
	// ReviewLinks issues the e-mailed review links and runs their page.
	ReviewLinks *reviewlink.Service
	// Risk computes risks and records interventions.
	Risk   *risk.Service
	Users  *users.Service
	Visits *visits.Service
}

// base is what every area's service is built on.
func (a *App) base() service.Base {
	return service.Base{DB: a.Pool, Clock: a.Clock, Log: a.Log}
}

// buildServices builds every area's service, before the workers and the
// handler, which use them; notifications first (with the channels they go
// through), which the others send through.
func (a *App) buildServices(ctx context.Context, o Options) error {
	base := a.base()
	cfg := a.Config
	s := &a.Services
	fcm, err := push.NewPusher(ctx, cfg.Firebase, o.FCMOptions...)
	if err != nil {
		return err
	}
	sender, err := mail.NewSender(cfg.Mail)
	if err != nil {
		return err
	}
	s.Push = &push.Service{Base: base, FCM: fcm, KnownKind: notify.KnownKind}
	// Links (the one-tap review links of tutors' mails) is set below, once
	// the review page's service is built.
	s.Mail = &mail.Service{Base: base, Sender: sender, Prefs: s.Push, URLs: a.urls, Metrics: a.metrics}
	s.Notify = &notify.Notifier{Base: base, Push: s.Push, Mail: s.Mail}
	s.Inbox = &notify.Service{Base: base}
	s.Live = &live.Hub{Base: base, Listen: a.session.Config().ConnConfig, Inbox: s.Inbox,
		RecheckEvery: cfg.GraphQL.SubscriptionRecheck}
	s.RecordAccess = &recordaccess.Service{Base: base}
	s.Admin = &admin.Service{Base: base, Notify: a.Notify}
	s.Contracts = &contracts.Service{Base: base}
	s.Evaluations = &evaluations.Service{Base: base, Notify: a.Notify, URLs: a.urls, Access: s.RecordAccess}
	s.FollowUps = &followup.Service{Base: base, Notify: a.Notify, Escalation: followup.Escalation(cfg.Escalation)}
	s.Identity = identity.New(base, cfg, a.Tokens, identity.HasherFrom(cfg.Identity))
	// Invitations are mailed when e-mail is on (the job mints the link it
	// mails); off, linkGuardian shows the link to the admin instead.
	s.Mail.Identity = s.Identity
	if s.Mail.Enabled() {
		s.Identity.Invitations = s.Mail
	}
	s.Guardians = &guardians.Service{Base: base, Notify: a.Notify, Identity: s.Identity}
	s.Logbook = &logbook.Service{Base: base, Notify: a.Notify, Blobs: a.blobs,
		MaxUpload: cfg.GraphQL.MaxUploadBytes, URLs: a.urls, Access: s.RecordAccess, Redirect: cfg.Blob.Redirect}
	s.Orgs = &orgs.Service{Base: base}
	s.Privacy = &privacy.Service{Base: base, Blobs: a.blobs}
	policy, err := risk.PolicyFrom(cfg.Risk)
	if err != nil {
		return err
	}
	s.Risk = &risk.Service{Base: base, Notify: a.Notify, Policy: policy}
	s.Users = &users.Service{Base: base}
	s.Visits = &visits.Service{Base: base, Notify: a.Notify, PublicURL: cfg.PublicURL, Access: s.RecordAccess, Tours: visits.TourSettings(cfg.Tours)}
	// An expired or used-up link offers a fresh one by mail when e-mail is
	// on (the nil interface otherwise: no offer).
	var linkMailer reviewlink.Mailer
	if s.Mail.Enabled() {
		linkMailer = s.Mail
	}
	s.ReviewLinks = &reviewlink.Service{Base: base, Key: cfg.URLSigning, TTL: cfg.ReviewLinkTTL, PublicURL: cfg.PublicURL,
		Mailer: linkMailer, Logbook: s.Logbook, Evaluations: s.Evaluations,
		Contracts: s.Contracts, Users: s.Users}
	s.Mail.Links = s.ReviewLinks
	s.Nodes = &node.Finder{Base: base, Contracts: s.Contracts, Evaluations: s.Evaluations, FollowUps: s.FollowUps,
		Guardians: s.Guardians, Logbook: s.Logbook, Notify: s.Inbox, Orgs: s.Orgs, Push: s.Push, Users: s.Users, Visits: s.Visits}
	return nil
}
