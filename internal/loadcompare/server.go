package loadcompare

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"sync"
	"syscall"
	"time"
)

// server is a running child server.
type server struct {
	name  string // in the table
	cmd   *exec.Cmd
	api   string // POST URL of /graphql
	debug string // base URL of the debug listener
	out   *tail
	done  chan struct{}
	err   error // of Wait, once done is closed
}

// startServer starts exe as a server of kind with env, on listeners of
// loopback ports it opens and hands over.
func startServer(name, kind, exe string, env []string) (*server, error) {
	apiLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer apiLn.Close()
	debugLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer debugLn.Close()
	apiFile, err := apiLn.(*net.TCPListener).File()
	if err != nil {
		return nil, err
	}
	defer apiFile.Close()
	debugFile, err := debugLn.(*net.TCPListener).File()
	if err != nil {
		return nil, err
	}
	defer debugFile.Close()

	s := &server{
		name:  name,
		api:   "http://" + apiLn.Addr().String() + "/graphql",
		debug: "http://" + debugLn.Addr().String(),
		out:   &tail{max: 16 << 10},
		done:  make(chan struct{}),
	}
	s.cmd = exec.Command(exe)
	s.cmd.Env = append(slices.Clone(env), childEnv+"="+kind)
	s.cmd.ExtraFiles = []*os.File{apiFile, debugFile} // fds 3 and 4
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	// A server does not outlive the tool.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s server: %w", name, err)
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	return s, nil
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// ready waits until the server answers HTTP (the listener exists before the
// process serves, so a request waits for it).
func (s *server) ready(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: 5 * time.Second}
	for {
		res, err := client.Get(s.debug + "/counts")
		if err == nil {
			res.Body.Close()
			var res2 *http.Response
			if res2, err = client.Get(s.api); err == nil {
				res2.Body.Close()
				return nil
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("%s server exited (%v) before it served:\n%s", s.name, s.err, s.out.String())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s server does not answer after %s (%v):\n%s", s.name, timeout, err, s.out.String())
		}
	}
}

// stop asks the server to shut down and waits, killing it after a while.
func (s *server) stop() error {
	select {
	case <-s.done:
		return fmt.Errorf("%s server had exited: %v\n%s", s.name, s.err, s.out.String())
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	return nil
}

// counts reads the server's statement counters.
func (s *server) counts() (counts, error) {
	var c counts
	res, err := http.Get(s.debug + "/counts")
	if err != nil {
		return c, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return c, fmt.Errorf("%s /counts: %s", s.name, res.Status)
	}
	return c, json.NewDecoder(res.Body).Decode(&c)
}

// profile writes a CPU profile of the next d to path.
func (s *server) profile(d time.Duration, path string) error {
	secs := int((d + time.Second - 1) / time.Second)
	res, err := http.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", s.debug, secs))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		return fmt.Errorf("profile: %s %s", res.Status, b)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// reply is one HTTP answer.
type reply struct {
	status      int
	contentType string
	body        []byte
}

// post sends one GraphQL request.
func post(ctx context.Context, client *http.Client, url, authorization string, body []byte) (reply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	res, err := client.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return reply{}, err
	}
	return reply{status: res.StatusCode, contentType: res.Header.Get("Content-Type"), body: b}, nil
}

// tail keeps the last max bytes written to it (a server's log).
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 2*t.max { // trimmed now and then, not at every line
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b[max(0, len(t.b)-t.max):])
}
