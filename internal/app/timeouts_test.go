package app_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"jalon/internal/config"
	"jalon/internal/testapp"
)

// These tests play misbehaving clients over raw TCP on loopback. The
// server's timeouts are set short; each client would take far longer than
// the bound the test waits for (10 s), so only the server can end it.

// dial opens a raw connection to the app.
func dial(t *testing.T, a *testapp.TestApp) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(a.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// closedByServer reads conn until the server closes it (within 10 s) and
// returns what it sent before.
func closedByServer(t *testing.T, conn net.Conn) string {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server kept the connection open; it sent %q", got)
	}
	return string(got)
}

// trickle writes body one byte every 50 ms until done is closed or a write
// fails (the server hung up).
func trickle(conn net.Conn, body string, done <-chan struct{}) {
	for i := range len(body) {
		select {
		case <-done:
			return
		case <-time.After(50 * time.Millisecond):
		}
		if _, err := conn.Write([]byte{body[i]}); err != nil {
			return
		}
	}
}

func TestTricklingBodyIsCutOffAtTheRequestDeadline(t *testing.T) {
	t.Parallel()
	a := testapp.New(t, func(c *config.Config) { c.GraphQL.RequestTimeout = 300 * time.Millisecond })
	conn := dial(t, a)
	body := `{"query":"{ __typename }"}` + strings.Repeat(" ", 2000) // 100 s at this pace
	fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: jalon\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
	done := make(chan struct{})
	defer close(done)
	go trickle(conn, body, done)
	got := closedByServer(t, conn)
	if !strings.HasPrefix(got, "HTTP/1.1 408 ") || !strings.Contains(got, `"code":"BAD_REQUEST"`) {
		t.Fatalf("a trickled body: want 408 with a GraphQL error, got %q", got)
	}
}

func TestTricklingUploadIsCutOffAtTheTransferDeadline(t *testing.T) {
	t.Parallel()
	a := testapp.New(t, func(c *config.Config) { c.HTTP.TransferTimeout = 500 * time.Millisecond })
	conn := dial(t, a)
	body := "--b\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n" + strings.Repeat(" ", 2000)
	fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: jalon\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: %d\r\n\r\n", len(body)+100)
	done := make(chan struct{})
	defer close(done)
	go trickle(conn, body, done)
	closedByServer(t, conn) // what it answers first is the transport's; the point is the hang-up
}

// An upload slower than the request timeout but within the transfer
// timeout is served: a phone on a poor network can send its photo.
func TestSlowUploadWithinTheTransferTimeoutIsServed(t *testing.T) {
	t.Parallel()
	a := testapp.New(t, func(c *config.Config) {
		c.GraphQL.RequestTimeout = 200 * time.Millisecond
		c.HTTP.TransferTimeout = time.Minute
	})
	c := a.NewContract(t)
	entry := a.NewLogEntry(t, c)
	photo := make([]byte, 300<<10)
	copy(photo, "\x89PNG\r\n\x1a\n")
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("operations", `{"query":"mutation($id: ID!, $file: Upload!) { addLogAttachment(logEntryId: $id, file: $file) { size } }","variables":{"id":"`+entry.String()+`","file":null}}`)
	w.WriteField("map", `{"0": ["variables.file"]}`)
	part, _ := w.CreateFormFile("0", "photo.png")
	part.Write(photo)
	w.Close()
	// Four pieces 150 ms apart: 600 ms in all, three times the request
	// timeout (and past the first 72 KiB, which are read before the rest).
	pr, pw := io.Pipe()
	go func() {
		b := body.Bytes()
		step := len(b)/4 + 1
		for i := 0; i < len(b); i += step {
			time.Sleep(150 * time.Millisecond)
			pw.Write(b[i:min(i+step, len(b))])
		}
		pw.Close()
	}()
	req, _ := http.NewRequest(http.MethodPost, a.URL+"/graphql", pr)
	req.ContentLength = int64(body.Len())
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+a.Token(t, c.Apprentice))
	var out struct{ AddLogAttachment struct{ Size int } }
	a.Do(t, req).Decode(t, &out)
	if out.AddLogAttachment.Size != len(photo) {
		t.Fatalf("slow upload: size %d, want %d", out.AddLogAttachment.Size, len(photo))
	}
}

func TestSlowHeadersAreCutOff(t *testing.T) {
	t.Parallel()
	a := testapp.New(t, func(c *config.Config) { c.HTTP.ReadHeaderTimeout = 300 * time.Millisecond })
	conn := dial(t, a)
	done := make(chan struct{})
	defer close(done)
	go trickle(conn, "GET /healthz HTTP/1.1\r\nHost: jalon\r\nX-Pad: "+strings.Repeat("x", 2000)+"\r\n\r\n", done)
	if got := closedByServer(t, conn); strings.Contains(got, "200 OK") {
		t.Fatalf("slow headers were served: %q", got)
	}
}

func TestIdleKeepAliveConnectionIsClosed(t *testing.T) {
	t.Parallel()
	a := testapp.New(t, func(c *config.Config) { c.HTTP.IdleTimeout = 300 * time.Millisecond })
	conn := dial(t, a)
	r := bufio.NewReader(conn)
	// Two requests on one connection: it is kept alive between them.
	for range 2 {
		fmt.Fprint(conn, "GET /healthz HTTP/1.1\r\nHost: jalon\r\n\r\n")
		res, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Close {
			t.Fatalf("healthz: status %d, close %v", res.StatusCode, res.Close)
		}
	}
	// Then silence: the server hangs up.
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := r.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("idle keep-alive connection: want EOF, got %v", err)
	}
}

// A GET carries its document in the URL: held to the JSON body limit, not
// net/http's 1 MB of headers (an anonymous way around the body limit).
func TestLongGETIsRefused(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	vars := url.QueryEscape(`{"pad":"` + strings.Repeat("x", 100<<10) + `"}`)
	res, err := http.Get(a.URL + "/graphql?query=%7B__typename%7D&variables=" + vars)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("a 100 KiB GET: status %d, want 431", res.StatusCode)
	}
	ok, err := http.Get(a.URL + "/graphql?query=%7B__typename%7D&variables=" + url.QueryEscape(`{"pad":"`+strings.Repeat("x", 10<<10)+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	ok.Body.Close()
	if ok.StatusCode != http.StatusOK {
		t.Fatalf("a 10 KiB GET: status %d", ok.StatusCode)
	}
}
