// Package blobstore keeps uploaded files (log-book photos, documents) outside
// the database: in a local directory (Dir, one machine) or in an
// S3-compatible object store (S3, any number of machines). Open picks one
// from a URL (JALON_BLOB_URL); both keep the same contract, checked by the
// same tests against a directory and a real S3 server.
package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// ErrNotFound means no blob has the key.
var ErrNotFound = errors.New("blob not found")

// Store keeps blobs by key. Keys are made of letters, digits and '-' (ids),
// 3 to 200 characters; any other key is refused.
type Store interface {
	// Put stores the size bytes r yields under key, atomically: a reader
	// sees the whole blob or none (the former one when key is replaced).
	// r is streamed, never held whole in memory. A reader that fails or
	// ends before size bytes fails the Put and stores nothing.
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	// Open returns the blob for reading from any offset (Seek: Range
	// requests), ErrNotFound when it is missing. Reads use ctx; the caller
	// closes the blob.
	Open(ctx context.Context, key string) (io.ReadSeekCloser, error)
	// Delete removes the blob; deleting a missing blob is not an error.
	Delete(ctx context.Context, key string) error
	// Walk calls fn for every blob in the store, in no particular order,
	// and stops at fn's first error, which it returns. Blobs put or deleted
	// during the walk may or may not be seen. Names in the store that are
	// not keys (temporary files, other applications' objects) are skipped.
	Walk(ctx context.Context, fn func(Blob) error) error
}

// Blob describes a stored blob.
type Blob struct {
	Key     string
	ModTime time.Time // when it was last written (the store's clock)
}

// Presigner is a Store that can hand out a URL to download a blob straight
// from the store, without credentials, until it expires (S3).
type Presigner interface {
	// PresignGet returns a URL that GETs key for ttl, its response carrying
	// the headers h.
	PresignGet(ctx context.Context, key string, ttl time.Duration, h ResponseHeaders) (string, error)
}

// ResponseHeaders are headers a presigned download answers with (the object
// store sets them from the URL's signed query).
type ResponseHeaders struct {
	ContentType        string
	ContentDisposition string
	CacheControl       string
}

// Credentials sign requests to an object store (the AWS_* variables).
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// Open returns the store rawURL names:
//
//   - file:///var/lib/jalon/blobs (or file:data/blobs, relative to the
//     working directory): a Dir;
//   - s3://bucket[/prefix]?endpoint=https://host[:port]&region=name: an S3
//     store on any S3-compatible service (without endpoint, Amazon S3),
//     signed with creds, its keys under prefix/ in the bucket. Open checks
//     that the bucket exists and the credentials are accepted.
//
// Credentials never belong in the URL (it is logged): a URL with a user or
// password, or with an unknown parameter, is refused without echoing it.
func Open(ctx context.Context, rawURL string, creds Credentials) (Store, error) {
	loc, err := Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if loc.Dir != "" {
		return NewDir(loc.Dir)
	}
	return NewS3(ctx, loc.S3, creds)
}

// Location is a parsed store URL: Dir for file:, S3 for s3:.
type Location struct {
	Dir string
	S3  S3Location
}

// Parse reads a store URL (see Open) without touching the store.
func Parse(rawURL string) (Location, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return Location{}, errors.New("not a URL (file:///path or s3://bucket?endpoint=…)")
	}
	if u.User != nil {
		return Location{}, errors.New("credentials do not belong in the URL: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return Location{}, errors.New("file URLs name a local path: file:///var/lib/jalon/blobs")
		}
		if len(u.Query()) > 0 || u.Fragment != "" {
			return Location{}, errors.New("file URLs take no parameters")
		}
		dir := u.Path
		if u.Opaque != "" { // file:relative/path
			if dir, err = url.PathUnescape(u.Opaque); err != nil {
				return Location{}, errors.New("bad escape in the path")
			}
		}
		if dir == "" {
			return Location{}, errors.New("file URL without a path")
		}
		return Location{Dir: dir}, nil
	case "s3":
		loc, err := parseS3(u)
		return Location{S3: loc}, err
	}
	return Location{}, errors.New("unknown scheme: file:///path or s3://bucket?endpoint=…")
}

// S3Location is where an S3 store keeps its objects.
type S3Location struct {
	Bucket string
	Prefix string // "" or ending in "/"
	// Endpoint is host[:port]; Secure says https. Empty: Amazon S3.
	Endpoint string
	Secure   bool
	Region   string
}

func parseS3(u *url.URL) (S3Location, error) {
	loc := S3Location{Bucket: u.Host, Endpoint: "s3.amazonaws.com", Secure: true}
	if loc.Bucket == "" {
		return loc, errors.New("s3 URL without a bucket: s3://bucket?endpoint=…")
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		loc.Prefix = p + "/"
	}
	if u.Fragment != "" || u.Opaque != "" {
		return loc, errors.New("s3 URLs are s3://bucket[/prefix]?endpoint=…&region=…")
	}
	for name, values := range u.Query() {
		if len(values) != 1 {
			return loc, fmt.Errorf("parameter %q given %d times", name, len(values))
		}
		v := values[0]
		switch name {
		case "endpoint":
			e, err := url.Parse(v)
			if err != nil || (e.Scheme != "http" && e.Scheme != "https") || e.Host == "" ||
				strings.Trim(e.Path, "/") != "" || e.RawQuery != "" || e.User != nil {
				return loc, errors.New("endpoint: expected http(s)://host[:port]")
			}
			loc.Endpoint, loc.Secure = e.Host, e.Scheme == "https"
		case "region":
			loc.Region = v
		default:
			// The value is not echoed: it might be a secret put in the wrong place.
			return loc, fmt.Errorf("unknown parameter %q (known: endpoint, region; credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)", name)
		}
	}
	return loc, nil
}

func validKey(key string) bool {
	if len(key) < 3 || len(key) > 200 {
		return false
	}
	for _, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// errSize is a Put whose reader did not yield the announced size.
func errSize(got, want int64) error {
	return fmt.Errorf("put blob: the reader gave %d bytes, %d announced", got, want)
}
