package blobstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"jalon/internal/blobstore"
	"jalon/internal/config"
	"jalon/internal/testtools/s3server"
)

// eachStore runs test against one empty store of each kind, opened through
// Open with the URL an operator would write (the S3 one skipped, or failed
// under CI, without SeaweedFS's weed).
func eachStore(t *testing.T, test func(t *testing.T, s blobstore.Store)) {
	t.Run("dir", func(t *testing.T) {
		t.Parallel()
		s, err := blobstore.Open(context.Background(), config.FileURL(filepath.Join(t.TempDir(), "blobs")), blobstore.Credentials{})
		if err != nil {
			t.Fatal(err)
		}
		test(t, s)
	})
	t.Run("s3", func(t *testing.T) {
		t.Parallel()
		srv := s3server.Start(t)
		s, err := blobstore.Open(context.Background(), srv.URL, srv.Credentials())
		if err != nil {
			t.Fatal(err)
		}
		test(t, s)
	})
}

// The contract every store keeps: put, replace, read from any offset
// (Range), refuse bad keys, fail a short or failing upload without leaving
// anything, delete, and list what the orphan sweep needs.
func TestStoreContract(t *testing.T) {
	t.Parallel()
	eachStore(t, testContract)
}

func testContract(t *testing.T, s blobstore.Store) {
	ctx := context.Background()
	put := func(key string, content []byte) {
		t.Helper()
		if err := s.Put(ctx, key, bytes.NewReader(content), int64(len(content))); err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
	}
	read := func(key string) []byte {
		t.Helper()
		f, err := s.Open(ctx, key)
		if err != nil {
			t.Fatalf("open %s: %v", key, err)
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		if err != nil {
			t.Fatalf("read %s: %v", key, err)
		}
		return b
	}
	gone := func(key string) bool {
		t.Helper()
		f, err := s.Open(ctx, key)
		if err == nil {
			f.Close()
			return false
		}
		if !errors.Is(err, blobstore.ErrNotFound) {
			t.Fatalf("open %s: %v", key, err)
		}
		return true
	}

	const key = "0b7e6c1a-3d9f-4f52-8d1e-2a4b6c8d0e1f"
	put(key, []byte("hello"))
	if got := read(key); string(got) != "hello" {
		t.Fatalf("read %q", got)
	}
	// Replacing gives the new content whole.
	put(key, []byte("bonjour, le monde"))
	if got := read(key); string(got) != "bonjour, le monde" {
		t.Fatalf("after replace: %q", got)
	}

	// Reading from any offset, and as http.ServeContent serves ranges.
	f, err := s.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	end, err := f.Seek(0, io.SeekEnd)
	if err != nil || end != 17 {
		t.Fatalf("size %d %v", end, err)
	}
	for _, c := range []struct {
		off    int64
		whence int
		want   string
	}{{9, io.SeekStart, "le monde"}, {-5, io.SeekEnd, "monde"}, {0, io.SeekStart, "bonjour, le monde"}} {
		if _, err := f.Seek(c.off, c.whence); err != nil {
			t.Fatal(err)
		}
		if b, err := io.ReadAll(f); err != nil || string(b) != c.want {
			t.Fatalf("seek %d/%d: %q %v", c.off, c.whence, b, err)
		}
	}
	f.Close()
	for _, c := range []struct{ rng, want string }{
		{"bytes=0-6", "bonjour"},
		{"bytes=12-", "monde"},
		{"bytes=-5", "monde"},
	} {
		f, err := s.Open(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodGet, "/f", nil)
		req.Header.Set("Range", c.rng)
		rec := httptest.NewRecorder()
		http.ServeContent(rec, req, "", time.Time{}, f)
		f.Close()
		if rec.Code != http.StatusPartialContent || rec.Body.String() != c.want {
			t.Fatalf("%s: %d %q", c.rng, rec.Code, rec.Body.String())
		}
	}
	// Two ranges in one request (a multipart answer).
	f, _ = s.Open(ctx, key)
	req := httptest.NewRequest(http.MethodGet, "/f", nil)
	req.Header.Set("Range", "bytes=0-2,12-13")
	rec := httptest.NewRecorder()
	http.ServeContent(rec, req, "", time.Time{}, f)
	f.Close()
	if body := rec.Body.String(); rec.Code != http.StatusPartialContent || !strings.Contains(body, "\r\n\r\nbon\r\n") || !strings.Contains(body, "\r\n\r\nmo\r\n") {
		t.Fatalf("multi-range: %d %q", rec.Code, body)
	}

	// An upload that fails, or ends before its announced size, leaves nothing.
	if err := s.Put(ctx, "abc-failing", io.MultiReader(strings.NewReader("part"), errReader{}), 100); err == nil {
		t.Fatal("put of a failing reader succeeded")
	}
	if err := s.Put(ctx, "abc-short", struct{ io.Reader }{strings.NewReader("abc")}, 10); err == nil {
		t.Fatal("put of a short reader succeeded")
	}
	if !gone("abc-failing") || !gone("abc-short") {
		t.Fatal("half-written blob visible")
	}

	// Keys cannot escape the store.
	for _, bad := range []string{"../../etc/passwd", "a/b/c", "..", "", "ab", "x y z"} {
		if err := s.Put(ctx, bad, strings.NewReader("x"), 1); err == nil {
			t.Fatalf("key %q accepted", bad)
		}
		if !gone(bad) {
			t.Fatalf("key %q opened", bad)
		}
	}

	// A large blob streams in from a reader that cannot seek, and from a
	// file, and comes back the same.
	const size = 9 << 20
	sum := sha256.Sum256(pattern(size))
	if err := s.Put(ctx, "big-stream", io.LimitReader(&patternReader{}, size), size); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(t.TempDir(), "upload")
	if err := os.WriteFile(tmp, pattern(size), 0o600); err != nil {
		t.Fatal(err)
	}
	file, err := os.Open(tmp)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if err := s.Put(ctx, "big-file", file, size); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"big-stream", "big-file"} {
		if got := sha256.Sum256(read(k)); got != sum {
			t.Fatalf("%s differs", k)
		}
	}

	// The walk lists every blob once, with its time of writing.
	var keys []string
	err = s.Walk(ctx, func(b blobstore.Blob) error {
		keys = append(keys, b.Key)
		if d := time.Since(b.ModTime); d < -time.Minute || d > 5*time.Minute {
			t.Errorf("%s written %v ago", b.Key, d)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(keys)
	if strings.Join(keys, ",") != "0b7e6c1a-3d9f-4f52-8d1e-2a4b6c8d0e1f,big-file,big-stream" {
		t.Fatalf("walk: %v", keys)
	}
	// fn's error stops the walk and is returned; so is a cancelled context.
	stop := errors.New("stop")
	n := 0
	if err := s.Walk(ctx, func(blobstore.Blob) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Fatalf("stop: %v after %d", err, n)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Walk(cancelled, func(blobstore.Blob) error { return nil }); err == nil {
		t.Fatal("walk with a cancelled context succeeded")
	}

	// Deleting is idempotent.
	for range 2 {
		if err := s.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	if !gone(key) {
		t.Fatal("open after delete")
	}
	if err := s.Delete(ctx, "../x"); err == nil {
		t.Fatal("delete of a bad key succeeded")
	}
}

// The S3 store keeps to its prefix, skips objects that are not blobs, and
// presigns downloads the object store answers with Jalon's headers.
func TestS3(t *testing.T) {
	t.Parallel()
	srv := s3server.Start(t)
	ctx := context.Background()
	u, _ := url.Parse(srv.URL)
	u.Path = "/jalon/files"
	s, err := blobstore.Open(ctx, u.String(), srv.Credentials())
	if err != nil {
		t.Fatal(err)
	}
	const key = "5d3f5a8e-1c2b-4d6e-8f70-0a1b2c3d4e5f"
	if err := s.Put(ctx, key, strings.NewReader("%PDF-1.7 hello"), 14); err != nil {
		t.Fatal(err)
	}
	client := srv.Client()
	// The layout of a Dir: a folder synced into the bucket is a store.
	if _, err := client.StatObject(ctx, srv.Bucket, "jalon/files/5d/"+key, minio.StatObjectOptions{}); err != nil {
		t.Fatalf("not under the prefix: %v", err)
	}
	for _, name := range []string{"outside-the-prefix", "5d/" + key, "jalon/files/" + key, "jalon/files/not a key.txt",
		"jalon/files/5d/.tmp-123", "jalon/files/zz/" + key, "jalon/files/5d/sub/" + key} {
		if _, err := client.PutObject(ctx, srv.Bucket, name, strings.NewReader("x"), 1, minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var keys []string
	if err := s.Walk(ctx, func(b blobstore.Blob) error { keys = append(keys, b.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0] != key {
		t.Fatalf("walk: %v", keys)
	}

	// A folder copied as is (what aws s3 sync does) is read as blobs.
	root := t.TempDir()
	dir, _ := blobstore.NewDir(root)
	const fromDir = "c0ffee00-0000-4000-8000-000000000000"
	if err := dir.Put(ctx, fromDir, strings.NewReader("from the folder"), 15); err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		_, err = client.FPutObject(ctx, srv.Bucket, "jalon/files/"+filepath.ToSlash(rel), p, minio.PutObjectOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.Open(ctx, fromDir)
	if err != nil {
		t.Fatalf("a synced folder's blob: %v", err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "from the folder" {
		t.Fatalf("synced: %q", b)
	}
	if err := s.Delete(ctx, fromDir); err != nil {
		t.Fatal(err)
	}

	p, ok := s.(blobstore.Presigner)
	if !ok {
		t.Fatal("the S3 store does not presign")
	}
	signed, err := p.PresignGet(ctx, key, time.Minute, blobstore.ResponseHeaders{
		ContentType: "application/pdf", ContentDisposition: `attachment; filename="a.pdf"`, CacheControl: "private, max-age=60"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(signed)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(body) != "%PDF-1.7 hello" || res.Header.Get("Content-Type") != "application/pdf" ||
		res.Header.Get("Content-Disposition") != `attachment; filename="a.pdf"` {
		t.Fatalf("presigned GET: %d %q %v", res.StatusCode, body, res.Header)
	}
	// The signature covers the headers asked for.
	forged := strings.Replace(signed, "application%2Fpdf", "text%2Fhtml", 1)
	if forged == signed {
		t.Fatalf("content type not in %s", signed)
	}
	res, err = http.Get(forged)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("forged presigned URL: %d", res.StatusCode)
	}

	// Opening checks the bucket and the credentials.
	creds := srv.Credentials()
	creds.SecretAccessKey = "wrong"
	if _, err := blobstore.Open(ctx, srv.URL, creds); err == nil {
		t.Fatal("wrong credentials accepted")
	}
	u, _ = url.Parse(srv.URL)
	u.Host = "no-such-bucket"
	if _, err := blobstore.Open(ctx, u.String(), srv.Credentials()); err == nil || !strings.Contains(err.Error(), "no-such-bucket") {
		t.Fatalf("missing bucket: %v", err)
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]blobstore.Location{
		"file:///var/lib/jalon/blobs":   {Dir: "/var/lib/jalon/blobs"},
		"file:data/blobs":               {Dir: "data/blobs"},
		config.FileURL("data/my blobs"): {Dir: "data/my blobs"},
		config.FileURL("/srv/my blobs"): {Dir: "/srv/my blobs"},
		"s3://files?endpoint=http://127.0.0.1:8333&region=us-east-1": {S3: blobstore.S3Location{
			Bucket: "files", Endpoint: "127.0.0.1:8333", Region: "us-east-1"}},
		"s3://files/jalon/prod/?endpoint=https://s3.fr-par.scw.cloud&region=fr-par": {S3: blobstore.S3Location{
			Bucket: "files", Prefix: "jalon/prod/", Endpoint: "s3.fr-par.scw.cloud", Secure: true, Region: "fr-par"}},
		"s3://files": {S3: blobstore.S3Location{Bucket: "files", Endpoint: "s3.amazonaws.com", Secure: true}},
	} {
		got, err := blobstore.Parse(raw)
		if err != nil || got != want {
			t.Errorf("%s: %+v %v, want %+v", raw, got, err, want)
		}
	}
	for _, raw := range []string{
		"s3://AKIA:sekrit@files?endpoint=http://h",
		"s3://files?endpoint=http://h&secret_key=sekrit",
		"s3://files?endpoint=ftp://h",
		"s3://files?endpoint=http://u:sekrit@h",
		"s3://?endpoint=http://h",
		"gs://files",
		"file://otherhost/x",
		"file:///x?y=sekrit",
		"/var/lib/jalon",
	} {
		_, err := blobstore.Parse(raw)
		if err == nil {
			t.Errorf("%s accepted", raw)
		} else if strings.Contains(err.Error(), "sekrit") {
			t.Errorf("%s: the error shows the secret: %v", raw, err)
		}
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection lost") }

// patternReader yields an endless byte pattern, a function of the offset.
type patternReader struct{ off int }

func (p *patternReader) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = byte((p.off + i) * 131 >> 3)
	}
	p.off += len(b)
	return len(b), nil
}

func pattern(n int) []byte {
	b := make([]byte, n)
	(&patternReader{}).Read(b)
	return b
}
