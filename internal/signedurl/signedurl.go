// Package signedurl makes URLs that grant access to one resource until they
// expire, without an Authorization header (an <img> tag, a PDF viewer): the
// path and expiry are signed with HMAC-SHA256 under a configured key.
package signedurl

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"jalon/internal/clock"
)

// Signer signs and verifies URLs.
type Signer struct {
	key     []byte
	baseURL string
	clock   clock.Clock
}

// New returns a Signer producing absolute URLs under baseURL.
func New(key []byte, baseURL string, c clock.Clock) *Signer {
	return &Signer{key: key, baseURL: baseURL, clock: c}
}

// Sign returns baseURL+path with an expiry ttl from now and its signature.
func (s *Signer) Sign(path string, ttl time.Duration) string {
	exp := strconv.FormatInt(s.clock.Now().Add(ttl).Unix(), 10)
	q := url.Values{"exp": {exp}, "sig": {s.mac(path, exp)}}
	return s.baseURL + path + "?" + q.Encode()
}

// ErrInvalid means the signature does not match or has expired.
var ErrInvalid = errors.New("invalid or expired signature")

// Verify checks the signature and expiry of a request made to a signed URL.
func (s *Signer) Verify(r *http.Request) error {
	exp := r.URL.Query().Get("exp")
	sig := r.URL.Query().Get("sig")
	want := s.mac(r.URL.Path, exp)
	if exp == "" || !hmac.Equal([]byte(sig), []byte(want)) {
		return ErrInvalid
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || s.clock.Now().After(time.Unix(unix, 0)) {
		return ErrInvalid
	}
	return nil
}

func (s *Signer) mac(path, exp string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(path))
	m.Write([]byte{0})
	m.Write([]byte(exp))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
