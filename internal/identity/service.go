package identity

import (
	"time"

	"jalon/internal/auth"
	"jalon/internal/config"
	"jalon/internal/service"
)

// Service signs users in and manages their sessions, passwords and users.
type Service struct {
	service.Base
	hasher     *Hasher
	tokens     *auth.Tokens
	refreshTTL time.Duration
	// retryWindow: see config.IdentityConfig.RefreshRetryWindow.
	retryWindow time.Duration
	keys        keys
	throttle    throttle
	// invitationTTL and publicURL shape invitations (invitations.go).
	invitationTTL time.Duration
	publicURL     string
	// Invitations delivers invitation links (the e-mail channel sets it);
	// nil: the link is shown to the admin who caused it (see Invite).
	Invitations InvitationSender
}

// New builds the identity service on base: it derives its keys and its
// login throttle from the configuration, hence a constructor rather than a
// struct literal.
func New(base service.Base, cfg config.Config, tokens *auth.Tokens, hasher *Hasher) *Service {
	return &Service{
		Base:        base,
		hasher:      hasher,
		tokens:      tokens,
		refreshTTL:  cfg.JWT.RefreshTokenTTL,
		retryWindow: cfg.Identity.RefreshRetryWindow,
		keys:        newKeys(cfg.Identity.Key),
		throttle: throttle{
			maxAccount: cfg.Identity.LoginMaxPerAccount,
			maxAddress: cfg.Identity.LoginMaxPerAddress,
			window:     cfg.Identity.LoginWindow,
		},
		invitationTTL: cfg.Identity.InvitationTTL,
		publicURL:     cfg.PublicURL,
	}
}

// HasherFrom builds the password hasher the configuration asks for.
func HasherFrom(cfg config.IdentityConfig) *Hasher {
	return NewHasher(Params{
		MemoryKiB: uint32(cfg.ArgonMemoryKiB),
		Time:      uint32(cfg.ArgonTime),
		Threads:   uint8(cfg.ArgonThreads),
	}, cfg.HashConcurrency)
}

// Hasher returns the service's password hasher.
func (s *Service) Hasher() *Hasher { return s.hasher }
