// Package s3server starts a real S3-compatible server for tests: SeaweedFS's
// `weed server -s3`, the version pinned in .ci/weed/go.mod, on free loopback
// ports in a temporary folder, with one identity whose credentials sign
// every request (so signatures and presigned URLs are checked for real).
//
// The binary is built once per machine by .ci/install-weed (CI runs it)
// into ${XDG_CACHE_HOME:-$HOME/.cache}/jalon-tools/weed@<version>/weed;
// JALON_WEED names another one. When it is missing, Start skips the test
// (fails under CI: testtools.Missing).
//
// Typical use, one server per test (ready in about ten seconds, mostly
// spent waiting on SeaweedFS's start-up confirmations, not CPU; about
// 130 MB of memory):
//
//	srv := s3server.Start(t)
//	a := testapp.New(t, testapp.BlobStore(srv.URL, srv.Credentials()))
//
// and for a `jalon serve` process: cmd.Env = append(os.Environ(), srv.Env()...).
package s3server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"jalon/internal/blobstore"
	"jalon/internal/testtools"
)

// Region is the region the server's URLs name (SeaweedFS accepts any).
const Region = "us-east-1"

// Server is a running S3 server with one empty bucket, stopped when the
// test that started it ends.
type Server struct {
	// URL is the bucket as JALON_BLOB_URL names it:
	// s3://<bucket>?endpoint=http://127.0.0.1:<port>&region=us-east-1.
	URL string
	// Endpoint is the S3 API's base URL, http://127.0.0.1:<port>.
	Endpoint string
	Bucket   string
	// AccessKeyID and SecretAccessKey sign requests (AWS_ACCESS_KEY_ID,
	// AWS_SECRET_ACCESS_KEY); they are random for each server.
	AccessKeyID     string
	SecretAccessKey string

	client *minio.Client
}

// Credentials are the server's credentials as blobstore takes them.
func (s *Server) Credentials() blobstore.Credentials {
	return blobstore.Credentials{AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey}
}

// Env is the environment a Jalon process needs to keep its files in the
// server's bucket: JALON_BLOB_URL and the AWS credential variables.
func (s *Server) Env() []string {
	return []string{"JALON_BLOB_URL=" + s.URL, "AWS_ACCESS_KEY_ID=" + s.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + s.SecretAccessKey, "AWS_SESSION_TOKEN="}
}

// Client is a minio-go client signed with the server's credentials (for
// tests that look at the bucket behind Jalon's back).
func (s *Server) Client() *minio.Client { return s.client }

// NewBucket creates another empty bucket on the same server and returns
// its JALON_BLOB_URL.
func (s *Server) NewBucket(t testing.TB) string {
	t.Helper()
	name := "jalon-" + randomHex(6)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.client.MakeBucket(ctx, name, minio.MakeBucketOptions{Region: Region}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	return bucketURL(name, s.Endpoint)
}

func bucketURL(bucket, endpoint string) string {
	return "s3://" + bucket + "?" + url.Values{"endpoint": {endpoint}, "region": {Region}}.Encode()
}

// Binary returns the path of the pinned weed, or "" when it is not built.
func Binary() string {
	if p := os.Getenv("JALON_WEED"); p != "" {
		return p
	}
	if p := cachedBinary(); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// cachedBinary is where .ci/install-weed puts the pinned version.
func cachedBinary() string {
	version, err := Version()
	if err != nil {
		return ""
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(cache, "jalon-tools", "weed@"+version, "weed")
}

// Version is the SeaweedFS version pinned in .ci/weed/go.mod.
func Version() (string, error) {
	b, err := os.ReadFile(filepath.Join(testtools.RepoRoot(), ".ci", "weed", "go.mod"))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "require" && f[1] == "github.com/seaweedfs/seaweedfs" {
			return f[2], nil
		}
	}
	return "", errors.New(".ci/weed/go.mod requires no github.com/seaweedfs/seaweedfs")
}

// Start runs a fresh weed server for t and returns it once its bucket
// accepts writes; the server is killed and its folder removed when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary()
	if bin == "" {
		testtools.Missing(t, "SeaweedFS's weed is not built: run .ci/install-weed (or set JALON_WEED)")
		return nil
	}
	var last error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := start(t, bin)
		if err == nil {
			return s
		}
		last = err // most likely a port taken between choosing and binding it
	}
	t.Fatalf("start weed: %v", last)
	return nil
}

func start(t testing.TB, bin string) (*Server, error) {
	dir := t.TempDir()
	// Unix sockets need a short path (108 bytes), shorter than test folders.
	sockets, err := os.MkdirTemp("", "jweed")
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { os.RemoveAll(sockets) })
	ports, err := freePorts(8)
	if err != nil {
		return nil, err
	}
	s := &Server{
		Endpoint:        "http://127.0.0.1:" + strconv.Itoa(ports[6]),
		Bucket:          "jalon-" + randomHex(6),
		AccessKeyID:     "JALONTEST" + strings.ToUpper(randomHex(6)),
		SecretAccessKey: randomHex(20),
	}
	s.URL = bucketURL(s.Bucket, s.Endpoint)
	identities, _ := json.Marshal(map[string]any{"identities": []any{map[string]any{
		"name":        "jalon",
		"credentials": []any{map[string]string{"accessKey": s.AccessKeyID, "secretKey": s.SecretAccessKey}},
		"actions":     []string{"Admin", "Read", "List", "Tagging", "Write"},
	}}})
	s3config := filepath.Join(dir, "s3.json")
	if err := os.WriteFile(s3config, identities, 0o600); err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		return nil, err
	}
	p := func(i int) string { return strconv.Itoa(ports[i]) }
	cmd := exec.Command(bin, "-logdir="+dir, "server",
		"-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-dir="+data,
		"-master.port="+p(0), "-master.port.grpc="+p(1), "-master.telemetry=false",
		"-master.volumeSizeLimitMB=64", "-volume.max=16",
		"-volume.port="+p(2), "-volume.port.grpc="+p(3),
		"-filer", "-filer.port="+p(4), "-filer.port.grpc="+p(5), "-filer.localSocket="+filepath.Join(sockets, "f.sock"),
		"-s3", "-s3.port="+p(6), "-s3.port.grpc="+p(7), "-s3.localSocket="+filepath.Join(sockets, "s.sock"),
		"-s3.port.iceberg=0", "-s3.port.lance=0", "-s3.config="+s3config, "-s3.iam=false",
	)
	cmd.Dir = dir
	// The credentials come from s3.json only: AWS_* variables would add an
	// identity of their own.
	cmd.Env = filterEnv(os.Environ(), "AWS_")
	// A fresh master holds volume allocation for a heartbeat (5 s) in case
	// servers of an older cluster report in: there are none here.
	cmd.Env = append(cmd.Env, "WEED_MASTER_VOLUME_GROWTH_ALLOCATION_DEFERRAL=0s")
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// Killed with its process group at cleanup, and by the kernel if the
	// test binary dies first (Pdeathsig).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run %s: %w", bin, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stop := func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		// weed puts its components' gRPC sockets in /tmp whatever its flags;
		// a killed weed leaves them.
		for i, name := range map[int]string{1: "master", 3: "volume", 5: "filer", 7: "s3"} {
			os.Remove(fmt.Sprintf("/tmp/seaweedfs-%s-grpc-%d.sock", name, ports[i]))
		}
	}
	client, err := minio.New("127.0.0.1:"+p(6), &minio.Options{
		Creds: credentials.NewStaticV4(s.AccessKeyID, s.SecretAccessKey, ""), Region: Region, MaxRetries: 1})
	if err != nil {
		stop()
		return nil, err
	}
	s.client = client
	if err := s.waitReady(exited); err != nil {
		stop()
		return nil, fmt.Errorf("%w\n%s", err, out.tail(4000))
	}
	t.Cleanup(stop)
	t.Logf("weed %s ready in %v", s.Endpoint, time.Since(began).Round(time.Millisecond))
	return s, nil
}

// waitReady creates the bucket, then writes and deletes an object, retrying
// until the master, volume server, filer and S3 gateway all answer. The
// first write waits for the filer to join its lock ring, which a fresh
// `weed server` delays by a few confirmation rounds: about ten seconds in
// all, mostly idle.
func (s *Server) waitReady(exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	step := func(f func(context.Context) error) error {
		var err error
		for {
			try, cancelTry := context.WithTimeout(ctx, 30*time.Second)
			err = f(try)
			cancelTry()
			if err == nil {
				return nil
			}
			select {
			case <-exited:
				return fmt.Errorf("weed exited: %v", err)
			case <-ctx.Done():
				return fmt.Errorf("weed not ready after 2 minutes: %v", err)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	if err := step(func(ctx context.Context) error {
		err := s.client.MakeBucket(ctx, s.Bucket, minio.MakeBucketOptions{Region: Region})
		if code := minio.ToErrorResponse(err).Code; code == "BucketAlreadyOwnedByYou" || code == "BucketAlreadyExists" {
			return nil // an earlier try that timed out on our side
		}
		return err
	}); err != nil {
		return err
	}
	return step(func(ctx context.Context) error {
		const probe = "ready-probe"
		if _, err := s.client.PutObject(ctx, s.Bucket, probe, bytes.NewReader([]byte("ok")), 2, minio.PutObjectOptions{}); err != nil {
			return err
		}
		return s.client.RemoveObject(ctx, s.Bucket, probe, minio.RemoveObjectOptions{})
	})
}

// freePorts returns n loopback ports free a moment ago.
func freePorts(n int) ([]int, error) {
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func filterEnv(env []string, prefix string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, prefix) {
			out = append(out, kv)
		}
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// lockedBuffer collects the server's output (written by two pipes' copiers).
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 1<<20 {
		return len(p), nil // enough to explain a failure
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.b.String()
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return s
}
