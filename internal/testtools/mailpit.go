package testtools

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// MailpitVersion is the Mailpit release the tests drive: a real SMTP server
// that keeps what it receives and shows it through an HTTP API. .ci/run
// installs it with
//
//	GOBIN="$(JALON_TOOLS_DIR)/mailpit@v1.33.1" go install github.com/axllent/mailpit@v1.33.1
const MailpitVersion = "v1.33.1"

// ToolsDir is where pinned tools built from Go modules live:
// $JALON_TOOLS_DIR, or ~/.cache/jalon-tools.
func ToolsDir() string {
	if d := os.Getenv("JALON_TOOLS_DIR"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "jalon-tools")
	}
	return filepath.Join(os.TempDir(), "jalon-tools")
}

// Mailpit returns the path of the mailpit binary: the pinned build in
// ToolsDir, else one on PATH; it skips or fails the test (Missing) when
// there is none.
func Mailpit(t testing.TB) string {
	t.Helper()
	pinned := filepath.Join(ToolsDir(), "mailpit@"+MailpitVersion, "mailpit")
	if fi, err := os.Stat(pinned); err == nil && !fi.IsDir() {
		return pinned
	}
	if path, err := exec.LookPath("mailpit"); err == nil {
		return path
	}
	Missing(t, "mailpit is not installed: GOBIN=%s go install github.com/axllent/mailpit@%s",
		filepath.Dir(pinned), MailpitVersion)
	return ""
}

// StartMailpit starts a Mailpit of the test's own on loopback ports, with
// its own database, stopped when the test ends. It returns the SMTP server's
// URL for JALON_SMTP_URL (no TLS; any user name and password are accepted
// and recorded) and the base URL of its HTTP API (e.g. apiURL +
// "/api/v1/messages"). Chaos (PUT /api/v1/chaos) is on, to script SMTP
// errors. extra are more flags, e.g. "--smtp-allowed-recipients",
// "@example\\.test$" (other recipients get 550).
func StartMailpit(t testing.TB, extra ...string) (smtpURL, apiURL string) {
	t.Helper()
	bin := Mailpit(t)
	var lastErr error
	for range 3 { // a port taken between choosing and binding: try others
		smtpPort, httpPort := freePort(t), freePort(t)
		smtpAddr := "127.0.0.1:" + strconv.Itoa(smtpPort)
		httpAddr := "127.0.0.1:" + strconv.Itoa(httpPort)
		args := append([]string{
			"--smtp", smtpAddr, "--listen", httpAddr,
			"--database", filepath.Join(t.TempDir(), "mailpit.db"),
			"--disable-version-check", "--smtp-disable-rdns", "--quiet",
			"--smtp-auth-accept-any", "--smtp-auth-allow-insecure", "--enable-chaos",
		}, extra...)
		cmd := exec.Command(bin, args...)
		var out syncBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatalf("start mailpit: %v", err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		stop := func() {
			_ = cmd.Process.Kill()
			<-exited
		}
		if err := waitMailpit(smtpAddr, "http://"+httpAddr, exited); err != nil {
			stop()
			lastErr = fmt.Errorf("%v\n%s", err, out.String())
			continue
		}
		t.Cleanup(stop)
		return "smtp://" + smtpAddr + "?tls=none", "http://" + httpAddr
	}
	t.Fatalf("mailpit did not start: %v", lastErr)
	return "", ""
}

// waitMailpit waits until Mailpit answers on both ports, or exits.
func waitMailpit(smtpAddr, api string, exited <-chan error) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("mailpit exited: %v", err)
		default:
		}
		if smtpReady(smtpAddr) && httpReady(api+"/readyz") {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("mailpit did not answer on %s and %s within 20s", smtpAddr, api)
}

func smtpReady(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func httpReady(url string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// syncBuffer collects a process's output from its copying goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
