// Package identity owns who may sign in and for how long: password hashing
// (argon2id), login with throttling, sessions (rotating refresh tokens with
// reuse detection), password changes, and the user records administrators
// create and change.
package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters.
type Params struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultParams are OWASP's minimum for argon2id (m=19 MiB, t=2, p=1):
// about 45 ms a hash on the reference machine.
var DefaultParams = Params{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

// Hasher hashes and verifies passwords. At most a fixed number of hashes run
// at once, so a burst of logins queues instead of starving the server of CPU
// and memory.
type Hasher struct {
	params Params
	sem    chan struct{}
	dummy  string
	// derivations counts the argon2id computations of Hash and Verify, so a
	// test can prove that every login path costs the same work without
	// comparing wall-clock times.
	derivations atomic.Int64
}

// NewHasher returns a Hasher with the parameters and at most concurrency
// hashes running at a time.
func NewHasher(p Params, concurrency int) *Hasher {
	if concurrency < 1 {
		concurrency = 1
	}
	h := &Hasher{params: p, sem: make(chan struct{}, concurrency)}
	salt := make([]byte, saltLen)
	rand.Read(salt)
	h.dummy = encode(p, salt, derive(p, []byte("jalon-dummy-password"), salt))
	return h
}

func derive(p Params, password, salt []byte) []byte {
	return argon2.IDKey(password, salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
}

// Derivations returns how many argon2id computations Hash and Verify ran.
func (h *Hasher) Derivations() int64 { return h.derivations.Load() }

// encode writes the PHC string: $argon2id$v=19$m=...,t=...,p=...$salt$hash.
func encode(p Params, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		p.MemoryKiB, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

var errBadHash = errors.New("password hash: not an argon2id PHC string")

func decode(phc string) (Params, []byte, []byte, error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return Params{}, nil, nil, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return Params{}, nil, nil, errBadHash
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return Params{}, nil, nil, errBadHash
	}
	if p.MemoryKiB < 8 || p.MemoryKiB > 4<<20 || p.Time < 1 || p.Time > 100 || p.Threads < 1 {
		return Params{}, nil, nil, errBadHash
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) == 0 {
		return Params{}, nil, nil, errBadHash
	}
	return p, salt, key, nil
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.sem }

// Hash returns the PHC string of password with the current parameters.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	defer h.release()
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	h.derivations.Add(1)
	return encode(h.params, salt, derive(h.params, []byte(password), salt)), nil
}

// Verify reports whether password matches the PHC string, and whether the
// hash should be recomputed because the parameters changed. An empty phc
// (unknown user, no password set) is checked against a dummy hash so the
// answer takes as long and is always false.
func (h *Hasher) Verify(ctx context.Context, phc, password string) (ok, rehash bool, err error) {
	known := phc != ""
	if !known {
		phc = h.dummy
	}
	p, salt, key, err := decode(phc)
	if err != nil {
		// A corrupt stored hash: spend the same time, refuse.
		p, salt, key, _ = decode(h.dummy)
		known = false
	}
	if err := h.acquire(ctx); err != nil {
		return false, false, fmt.Errorf("verify password: %w", err)
	}
	h.derivations.Add(1)
	got := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(key)))
	h.release()
	match := subtle.ConstantTimeCompare(got, key) == 1 && known
	return match, match && (p != h.params || len(key) != keyLen), nil
}
