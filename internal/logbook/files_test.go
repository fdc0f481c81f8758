package logbook_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"jalon/internal/blobstore"
	"jalon/internal/config"
	"jalon/internal/logbook"
	"jalon/internal/testapp"
	"jalon/internal/testtools/s3server"
)

func pngBytes(n int) []byte {
	b := make([]byte, n)
	copy(b, "\x89PNG\r\n\x1a\n")
	return b
}

func heicBytes() []byte {
	b := make([]byte, 200)
	copy(b, "\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")
	return b
}

const uploadDoc = `mutation($id: ID!, $file: Upload!) { addLogAttachment(logEntryId: $id, file: $file) { id contentType size url createdAt } }`

type attachment struct {
	ID, ContentType, URL string
	Size                 int
}

func upload(t *testing.T, a *testapp.TestApp, token, entryID, name string, content []byte) testapp.Response {
	t.Helper()
	return a.Upload(t, token, uploadDoc, map[string]any{"id": entryID}, "file", name, content)
}

// get fetches a signed URL's path and query on the test server.
func get(t *testing.T, a *testapp.TestApp, signed string) (*http.Response, []byte) {
	t.Helper()
	u, err := url.Parse(signed)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(a.URL + u.RequestURI())
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, body
}

// storedKeys lists the keys in the server's store.
func storedKeys(t *testing.T, a *testapp.TestApp) []string {
	t.Helper()
	var keys []string
	if err := a.Blobs(t).Walk(context.Background(), func(b blobstore.Blob) error {
		keys = append(keys, b.Key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return keys
}

// Attachments through the GraphQL upload and the signed download, whichever
// store keeps the files.
func TestAttachments(t *testing.T) {
	t.Parallel()
	testapp.EachStore(t, testAttachments)
}

func testAttachments(t *testing.T, a *testapp.TestApp) {
	c := a.NewContract(t)
	tok := a.Token(t, c.Apprentice)
	e := create(t, a, tok, input(c))

	// Types come from the content, not the name.
	cases := []struct {
		name    string
		content []byte
		want    string
	}{
		{"photo.bin", pngBytes(2048), "image/png"},
		{"IMG_0001.HEIC", heicBytes(), "image/heic"},
		{"scan.txt", append([]byte("%PDF-1.7\n"), make([]byte, 100)...), "application/pdf"},
		{"x.jpg", append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), make([]byte, 100)...), "image/jpeg"},
	}
	var first attachment
	for i, tc := range cases {
		var d struct{ AddLogAttachment attachment }
		upload(t, a, tok, e.ID, tc.name, tc.content).Decode(t, &d)
		if d.AddLogAttachment.ContentType != tc.want || d.AddLogAttachment.Size != len(tc.content) {
			t.Fatalf("%s: %+v", tc.name, d.AddLogAttachment)
		}
		if i == 0 {
			first = d.AddLogAttachment
		}
	}
	for _, bad := range []struct {
		name    string
		content []byte
	}{
		{"fake.jpg", []byte("<html><script>alert(1)</script></html>")},
		{"empty.png", nil},
		{"gif.png", []byte("GIF89a\x01\x00\x01\x00")},
	} {
		res := upload(t, a, tok, e.ID, bad.name, bad.content)
		if res.RequireCode(t, "VALIDATION_FAILED"); res.Field() != "file" {
			t.Fatalf("%s: field %s", bad.name, res.Field())
		}
	}
	// 10 MiB is the limit.
	res := upload(t, a, tok, e.ID, "big.png", pngBytes(10<<20+1))
	if res.RequireCode(t, "VALIDATION_FAILED"); res.Field() != "file" {
		t.Fatalf("oversized: %+v", res.Errors)
	}
	var d struct{ AddLogAttachment attachment }
	upload(t, a, tok, e.ID, "max.png", pngBytes(10<<20)).Decode(t, &d)
	// Five per entry.
	res = upload(t, a, tok, e.ID, "six.png", pngBytes(10))
	if res.RequireCode(t, "VALIDATION_FAILED"); res.Field() != "file" {
		t.Fatalf("sixth: %+v", res.Errors)
	}
	// Only the apprentice adds files; outsiders see nothing.
	upload(t, a, a.Token(t, c.Tutor), e.ID, "t.png", pngBytes(10)).RequireCode(t, "FORBIDDEN")
	other := a.NewContract(t)
	upload(t, a, a.Token(t, other.Apprentice), e.ID, "t.png", pngBytes(10)).RequireCode(t, "NOT_FOUND")

	// The signed URL serves the bytes without an Authorization header.
	r, body := get(t, a, first.URL)
	if r.StatusCode != 200 || r.Header.Get("Content-Type") != "image/png" || !bytes.Equal(body, pngBytes(2048)) ||
		r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("download: %d %v (%d bytes)", r.StatusCode, r.Header, len(body))
	}
	// Range requests work (PDF viewers ask for parts).
	u, _ := url.Parse(first.URL)
	for rng, want := range map[string][]byte{"bytes=0-7": []byte("\x89PNG\r\n\x1a\n"), "bytes=1000-1999": pngBytes(2048)[1000:2000]} {
		req, _ := http.NewRequest(http.MethodGet, a.URL+u.RequestURI(), nil)
		req.Header.Set("Range", rng)
		rr, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		part, _ := io.ReadAll(rr.Body)
		rr.Body.Close()
		if rr.StatusCode != http.StatusPartialContent || !bytes.Equal(part, want) {
			t.Fatalf("range %s: %d %q", rng, rr.StatusCode, part)
		}
	}
	q := u.Query()
	tampered := []string{
		// another file with this file's signature
		u.Scheme + "://" + u.Host + "/files/" + d.AddLogAttachment.ID + "?" + q.Encode(),
	}
	q2 := u.Query()
	q2.Set("exp", "9999999999")
	tampered = append(tampered, u.Scheme+"://"+u.Host+u.Path+"?"+q2.Encode())
	q3 := u.Query()
	sig := q3.Get("sig")
	firstChar := "A" // another first character, whatever the signature's is
	if sig[0] == 'A' {
		firstChar = "B"
	}
	q3.Set("sig", firstChar+sig[1:])
	tampered = append(tampered, u.Scheme+"://"+u.Host+u.Path+"?"+q3.Encode())
	tampered = append(tampered, u.Scheme+"://"+u.Host+u.Path)
	for _, tu := range tampered {
		if r, _ := get(t, a, tu); r.StatusCode != http.StatusForbidden {
			t.Fatalf("tampered %s: %d", tu, r.StatusCode)
		}
	}
	// Expired after an hour.
	a.Clock.Advance(61 * time.Minute)
	if r, _ := get(t, a, first.URL); r.StatusCode != http.StatusForbidden {
		t.Fatalf("expired: %d", r.StatusCode)
	}

	// Deleting the draft removes its files; refused uploads left none.
	if keys := storedKeys(t, a); len(keys) != 5 {
		t.Fatalf("%d files stored, want 5: %v", len(keys), keys)
	}
	var del struct{ DeleteLogEntry struct{ ID string } }
	a.Query(t, a.Token(t, c.Apprentice), deleteDoc, map[string]any{"id": e.ID}).Decode(t, &del)
	if keys := storedKeys(t, a); len(keys) != 0 {
		t.Fatalf("files left behind: %v", keys)
	}
	if n := count(t, a, `SELECT count(*) FROM log_attachments`); n != 0 {
		t.Fatalf("%d attachment rows left", n)
	}
}

func TestSniff(t *testing.T) {
	t.Parallel()
	ftyp := func(brand string) []byte {
		b := make([]byte, 64)
		copy(b, "\x00\x00\x00\x18ftyp"+brand+"\x00\x00\x00\x00")
		return b
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"heic", ftyp("heic"), logbook.HEIC},
		{"heix", ftyp("heix"), logbook.HEIC},
		{"mif1", ftyp("mif1"), logbook.HEIC},
		{"mp4", ftyp("isom"), ""},
		{"png", pngBytes(20), logbook.PNG},
		{"text", []byte("just text"), ""},
		{"short", []byte("\x00\x00"), ""},
	} {
		if got := logbook.Sniff(tc.b); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// With JALON_BLOB_REDIRECT, a valid signed link answers with a redirect to
// the object store, which serves the bytes (ranges too) with Jalon's
// headers; a bad link is still refused by Jalon, and a deleted file is gone
// from both.
func TestDownloadRedirectsToTheObjectStore(t *testing.T) {
	t.Parallel()
	srv := s3server.Start(t)
	a := testapp.New(t, testapp.BlobStore(srv.URL, srv.Credentials()), func(c *config.Config) { c.Blob.Redirect = true })
	c := a.NewContract(t)
	tok := a.Token(t, c.Apprentice)
	e := create(t, a, tok, input(c))
	doc := pdf("/Lang (fr-BE)")
	var d struct{ AddLogAttachment attachment }
	upload(t, a, tok, e.ID, "doc.pdf", doc).Decode(t, &d)

	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	fetch := func(client *http.Client, u string, header ...string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, body
	}
	link, _ := url.Parse(d.AddLogAttachment.URL)
	res, _ := fetch(noFollow, a.URL+link.RequestURI())
	direct := res.Header.Get("Location")
	if res.StatusCode != http.StatusTemporaryRedirect || !strings.HasPrefix(direct, srv.Endpoint+"/") || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("redirect: %d to %q (%v)", res.StatusCode, direct, res.Header)
	}
	res, body := fetch(http.DefaultClient, direct)
	if res.StatusCode != 200 || !bytes.Equal(body, doc) || res.Header.Get("Content-Type") != "application/pdf" ||
		res.Header.Get("Content-Disposition") != `attachment; filename="attachment-`+d.AddLogAttachment.ID+`.pdf"` {
		t.Fatalf("from the store: %d %v (%d bytes)", res.StatusCode, res.Header, len(body))
	}
	// A client that follows redirects gets the file, and its ranges.
	res, body = fetch(http.DefaultClient, a.URL+link.RequestURI(), "Range", "bytes=0-4")
	if res.StatusCode != http.StatusPartialContent || string(body) != "%PDF-" {
		t.Fatalf("range through the redirect: %d %q", res.StatusCode, body)
	}

	// Jalon still checks its own signature first.
	q := link.Query()
	q.Set("exp", "9999999999")
	if res, _ := fetch(noFollow, a.URL+link.Path+"?"+q.Encode()); res.StatusCode != http.StatusForbidden {
		t.Fatalf("tampered link: %d", res.StatusCode)
	}
	// Once the draft is deleted, neither Jalon nor the store serves it.
	a.Query(t, tok, deleteDoc, map[string]any{"id": e.ID}).Decode(t, &struct{}{})
	if res, _ := fetch(noFollow, a.URL+link.RequestURI()); res.StatusCode != http.StatusNotFound {
		t.Fatalf("deleted, through Jalon: %d", res.StatusCode)
	}
	if res, _ := fetch(http.DefaultClient, direct); res.StatusCode != http.StatusNotFound {
		t.Fatalf("deleted, presigned: %d", res.StatusCode)
	}
}
