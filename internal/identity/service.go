package identity

import (
	"time"

	"jalon/internal/auth"
	"jalon/internal/clock"
	"jalon/internal/config"
	"jalon/internal/postgres"
)

// Service signs users in and manages their sessions and passwords.
type Service struct {
	db         postgres.DB
	hasher     *Hasher
	tokens     *auth.Tokens
	clock      clock.Clock
	refreshTTL time.Duration
	// retryWindow: see config.IdentityConfig.RefreshRetryWindow.
	retryWindow time.Duration
	keys        keys
	throttle    throttle
}

// NewService builds the identity service from configuration.
func NewService(db postgres.DB, cfg config.Config, tokens *auth.Tokens, c clock.Clock, hasher *Hasher) *Service {
	return &Service{
		db:          db,
		hasher:      hasher,
		tokens:      tokens,
		clock:       c,
		refreshTTL:  cfg.JWT.RefreshTokenTTL,
		retryWindow: cfg.Identity.RefreshRetryWindow,
		keys:        newKeys(cfg.Identity.Key),
		throttle: throttle{
			maxAccount: cfg.Identity.LoginMaxPerAccount,
			maxAddress: cfg.Identity.LoginMaxPerAddress,
			window:     cfg.Identity.LoginWindow,
		},
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
