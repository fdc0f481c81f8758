// Package push owns push notifications: the devices that receive them
// (register, unregister, list), their delivery through Firebase Cloud
// Messaging (the Pusher and the River DeliveryWorker on its own queue), and
// each user's notification preferences: the channel of each kind (push,
// e-mail, both, none or AUTO), a tutor's digest, quiet hours and muted kinds.
//
// Preferences live here, not in the inbox (internal/notify), because they
// govern delivery alone: quiet hours delay a push or a mail and a muted kind
// is neither pushed nor mailed, while the inbox entry is written and shown
// regardless. Preferences.Route is the one rule that picks the channels of
// a notification: the Notifier asks it (with Stored, DeliveryJob and
// Scheduled) whether and when to enqueue a push and a mail, and the
// DeliveryWorker and internal/mail's workers apply it again when they run.
// A user who never changed them has no row: the defaults
// (DefaultPreferences) are applied in Go, in one place (Stored).
//
// Imports go one way: internal/notify enqueues push jobs by their args type
// (DeliverArgs); internal/mail reads preferences from here; this package
// reads the stored notification itself and imports neither notify, mail nor
// live.
package push

import (
	"jalon/internal/push/pushdb"
	"jalon/internal/service"
)

// Service manages the caller's devices and preferences, and holds what
// delivery needs. Built once in internal/app.
type Service struct {
	service.Base
	// FCM sends pushes; nil or built without credentials, push is disabled
	// (delivery jobs complete without sending).
	FCM *Pusher
	// KnownKind reports whether a notification kind exists (the catalogue's
	// kinds), to validate muted kinds. Injected: the catalogue belongs to
	// the inbox side, which imports this package.
	KnownKind func(kind string) bool
}

// Enabled reports whether push is configured.
func (s *Service) Enabled() bool { return s != nil && s.FCM.Enabled() }

func (s *Service) q() *pushdb.Queries { return pushdb.New(s.DB) }
