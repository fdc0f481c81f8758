package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"jalon/internal/testapp"
	"jalon/internal/testtools/s3server"
)

// `jalon serve` keeps its files in the bucket JALON_BLOB_URL names, signed
// with the AWS variables' key (a key the store refuses stops it at start,
// without showing the secret), and another server on the same bucket serves
// what it stored.
func TestServeKeepsFilesInTheBucket(t *testing.T) {
	srv := s3server.Start(t)
	a := testapp.New(t, testapp.BlobStore(srv.URL, srv.Credentials()))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("DATABASE_URL", a.DBURL)
	t.Setenv("JALON_ENV", "development")
	t.Setenv("JALON_ADDR", addr)
	t.Setenv("JALON_WORKER", "false")
	t.Setenv("JALON_SHUTDOWN_TIMEOUT", "5s")
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}

	t.Setenv("AWS_SECRET_ACCESS_KEY", "a-wrong-secret-value")
	err = run(context.Background(), []string{"serve", "--no-migrate"}, strings.NewReader(""), io.Discard)
	if err == nil || !strings.HasPrefix(err.Error(), "JALON_BLOB_URL:") || strings.Contains(err.Error(), "a-wrong-secret-value") {
		t.Fatalf("a refused key: %v", err)
	}
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretAccessKey)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--no-migrate"}, strings.NewReader(""), io.Discard) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("jalon serve: %v", err)
		}
	})
	testapp.Eventually(t, 30*time.Second, "jalon serve answers", func() bool {
		res, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})

	a.Clock.Set(time.Now()) // tokens valid for the server on the real clock
	c := a.NewContract(t)
	entry := a.NewLogEntry(t, c)
	photo := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 4000)...)
	cli := *a
	cli.URL = "http://" + addr
	var d struct{ AddLogAttachment struct{ ID, URL string } }
	cli.Upload(t, a.Token(t, c.Apprentice), `mutation($id: ID!, $file: Upload!) { addLogAttachment(logEntryId: $id, file: $file) { id url } }`,
		map[string]any{"id": entry}, "file", "photo.png", photo).Decode(t, &d)
	link, _ := url.Parse(d.AddLogAttachment.URL)
	res, err := http.Get(a.URL + link.RequestURI())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Equal(body, photo) {
		t.Fatalf("the other server: %d, %d bytes", res.StatusCode, len(body))
	}
}
