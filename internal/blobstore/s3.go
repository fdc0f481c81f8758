package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3 is a Store in a bucket of an S3-compatible object store (Amazon S3,
// SeaweedFS, MinIO, Garage, Ceph RGW, the clouds' S3 APIs), through
// minio-go: every server process and worker of a network sees the same
// files. A blob is the object prefix+key[:2]+"/"+key, the layout of a Dir
// under its root, so a folder copied into the bucket (aws s3 sync, rclone,
// mc mirror) is a store, and back.
//
// Put is one streamed PUT (the body signed chunk by chunk over http, sent
// as is over https), never buffered: minio-go's multipart path would hold a
// part (≥ 5 MiB) in memory, so it is off, which bounds a blob to S3's
// largest single PUT (5 GiB). Open answers Range requests with ranged GETs.
type S3 struct {
	client *minio.Client
	core   minio.Core // the same client's plain requests (ranged GET)
	loc    S3Location
}

// NewS3 connects to the bucket loc names and checks that it exists and that
// creds are accepted (within 15 s).
func NewS3(ctx context.Context, loc S3Location, creds Credentials) (*S3, error) {
	client, err := minio.New(loc.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken),
		Secure: loc.Secure,
		Region: loc.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("object store: %w", err)
	}
	s := &S3{client: client, core: minio.Core{Client: client}, loc: loc}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	ok, err := client.BucketExists(ctx, loc.Bucket)
	if err != nil {
		return nil, fmt.Errorf("object store %s, bucket %q: %w", loc.Endpoint, loc.Bucket, err)
	}
	if !ok {
		return nil, fmt.Errorf("object store %s: no bucket %q (create it first)", loc.Endpoint, loc.Bucket)
	}
	return s, nil
}

// name is the object name of key.
func (s *S3) name(key string) (string, error) {
	if !validKey(key) {
		return "", fmt.Errorf("invalid blob key %q", key)
	}
	return s.loc.Prefix + key[:2] + "/" + key, nil
}

// key is the blob key of an object name under the prefix, or "" when the
// object is not a blob.
func (s *S3) key(name string) string {
	shard, key, ok := strings.Cut(strings.TrimPrefix(name, s.loc.Prefix), "/")
	if !ok || !validKey(key) || key[:2] != shard {
		return ""
	}
	return key
}

// Put uploads r in one PUT of size bytes. A reader that can seek and read
// at an offset (a file) is sent through a section of it, so minio-go can
// retry the request; any other is sent once.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	name, err := s.name(key)
	if err != nil {
		return err
	}
	body := io.Reader(struct{ io.Reader }{r}) // hides Close: the caller owns r
	if ra, ok := r.(interface {
		io.ReaderAt
		io.Seeker
	}); ok {
		off, err := ra.Seek(0, io.SeekCurrent)
		if err != nil {
			return fmt.Errorf("put blob: %w", err)
		}
		body = io.NewSectionReader(ra, off, size)
	}
	_, err = s.client.PutObject(ctx, s.loc.Bucket, name, body, size, minio.PutObjectOptions{
		ContentType:      "application/octet-stream",
		DisableMultipart: true,
	})
	if err != nil {
		return fmt.Errorf("put blob: %w", err)
	}
	return nil
}

// Open asks for the object's size and ETag (HEAD); the bytes come with the
// first Read, from the current offset, by a GET that must match that ETag.
func (s *S3) Open(ctx context.Context, key string) (io.ReadSeekCloser, error) {
	name, err := s.name(key)
	if err != nil {
		return nil, ErrNotFound
	}
	info, err := s.client.StatObject(ctx, s.loc.Bucket, name, minio.StatObjectOptions{})
	if err != nil {
		if notFound(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("open blob: %w", err)
	}
	return &s3Object{ctx: ctx, s: s, name: name, etag: info.ETag, size: info.Size}, nil
}

func notFound(err error) bool {
	e := minio.ToErrorResponse(err)
	return e.StatusCode == http.StatusNotFound || e.Code == minio.NoSuchKey
}

// s3Object reads an object from any offset: each Read after a Seek to
// another offset starts one GET of the rest (Range: bytes=off-), which
// http.ServeContent cuts off once the requested range is sent.
type s3Object struct {
	ctx  context.Context
	s    *S3
	name string
	etag string
	size int64
	off  int64
	body io.ReadCloser
}

func (o *s3Object) Read(p []byte) (int, error) {
	if o.off >= o.size {
		return 0, io.EOF
	}
	if o.body == nil {
		opts := minio.GetObjectOptions{}
		if o.off > 0 {
			if err := opts.SetRange(o.off, 0); err != nil {
				return 0, err
			}
		}
		if o.etag != "" {
			if err := opts.SetMatchETag(o.etag); err != nil {
				return 0, err
			}
		}
		body, _, _, err := o.s.core.GetObject(o.ctx, o.s.loc.Bucket, o.name, opts)
		if err != nil {
			if notFound(err) {
				return 0, ErrNotFound
			}
			return 0, fmt.Errorf("read blob: %w", err)
		}
		o.body = body
	}
	n, err := o.body.Read(p)
	o.off += int64(n)
	if err == io.EOF && o.off < o.size {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (o *s3Object) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = o.off + offset
	case io.SeekEnd:
		abs = o.size + offset
	default:
		return o.off, errors.New("seek blob: bad whence")
	}
	if abs < 0 {
		return o.off, errors.New("seek blob: negative position")
	}
	if abs != o.off && o.body != nil {
		o.body.Close()
		o.body = nil
	}
	o.off = abs
	return abs, nil
}

func (o *s3Object) Close() error {
	if o.body == nil {
		return nil
	}
	err := o.body.Close()
	o.body = nil
	return err
}

// Delete removes the object (S3 answers a delete of a missing object with
// success).
func (s *S3) Delete(ctx context.Context, key string) error {
	name, err := s.name(key)
	if err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.loc.Bucket, name, minio.RemoveObjectOptions{}); err != nil && !notFound(err) {
		return fmt.Errorf("delete blob: %w", err)
	}
	return nil
}

// Walk lists the objects under the prefix, a page (1000) at a time.
func (s *S3) Walk(ctx context.Context, fn func(Blob) error) error {
	listCtx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing when fn fails
	for obj := range s.client.ListObjects(listCtx, s.loc.Bucket, minio.ListObjectsOptions{Prefix: s.loc.Prefix, Recursive: true}) {
		if obj.Err != nil {
			return fmt.Errorf("walk blobs: %w", obj.Err)
		}
		key := s.key(obj.Key)
		if key == "" {
			continue
		}
		if err := fn(Blob{Key: key, ModTime: obj.LastModified}); err != nil {
			return err
		}
	}
	// A cancelled listing ends its channel without an error.
	return ctx.Err()
}

// PresignGet signs a GET of key valid ttl (at most 7 days, S3's limit). The
// object store answers it with the headers h (response-content-type and
// the like, part of the signed query).
func (s *S3) PresignGet(ctx context.Context, key string, ttl time.Duration, h ResponseHeaders) (string, error) {
	name, err := s.name(key)
	if err != nil {
		return "", err
	}
	q := url.Values{}
	for k, v := range map[string]string{
		"response-content-type":        h.ContentType,
		"response-content-disposition": h.ContentDisposition,
		"response-cache-control":       h.CacheControl,
	} {
		if v != "" {
			q.Set(k, v)
		}
	}
	u, err := s.client.PresignedGetObject(ctx, s.loc.Bucket, name, ttl, q)
	if err != nil {
		return "", fmt.Errorf("presign blob: %w", err)
	}
	return u.String(), nil
}
