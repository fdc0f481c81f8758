package identity

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// keys are the service's secrets derived from JALON_IDENTITY_KEY, one per
// use, so that a value computed for one use never matches another.
type keys struct {
	account []byte // names an unknown e-mail address (accountKey)
	refresh []byte // derives the successor of a refresh token (successor)
}

func newKeys(master []byte) keys {
	return keys{account: mac(master, "jalon/identity/account/v1"), refresh: mac(master, "jalon/identity/refresh/v1")}
}

func mac(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// accountKey is what login throttling and its audit entries record for an
// account: the user's id when the e-mail belongs to someone (so erasing
// them leaves an id that shows their pseudonym), otherwise a keyed hash of
// the normalised e-mail, never the address itself (it may be a real
// person's address with a typo). A keyed hash cannot be reversed, nor
// confirmed by hashing guesses, without the key.
func (k keys) accountKey(email string, id *string) string {
	if id != nil {
		return *id
	}
	return "hmac:" + hex.EncodeToString(mac(k.account, email)[:16])
}

// successor returns the refresh token that replaces tok: HMAC-SHA256 of tok
// under a server key. Deriving it, rather than drawing it at random, is what
// lets a retried refresh get the same pair back without the server keeping
// any copy of a live token: the database holds only SHA-256 hashes, as for
// every refresh token, and the successor can be computed only by someone who
// holds both tok (which only the client has) and the key. Storing the
// successor encrypted instead would be weaker: a stolen database and key
// would then yield every recently issued token, where here they yield none.
// A keyed PRF of a 256-bit random value is as unguessable as a random one.
func (k keys) successor(tok string) string {
	return base64.RawURLEncoding.EncodeToString(mac(k.refresh, "successor:"+tok))
}

// accessID is the id (jti) of the access token issued with refresh token
// tok: derived too, so that a retry gets the same access token.
func (k keys) accessID(tok string) string {
	return hex.EncodeToString(mac(k.refresh, "access:"+tok)[:16])
}
