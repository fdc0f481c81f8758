// Package pgcluster finds a PostgreSQL server for development and tests: the
// one at the given URL when it answers, or else a private cluster started from
// the installed server binaries (initdb, pg_ctl) in a data folder of its own,
// on a free port, run as the "postgres" user when the caller is root (initdb
// refuses root).
package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Answers reports whether a server accepts connections at url.
func Answers(ctx context.Context, url string) bool { return Ping(ctx, url) == nil }

// Ping connects to url, and says why it could not.
func Ping(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	conn.Close(ctx)
	return nil
}

// Cluster is a private PostgreSQL server started by Start.
type Cluster struct {
	Dir  string
	Port int
	// Reused: the server was already running on Dir (left by a process
	// that crashed) and Start took it over instead of starting one.
	Reused bool
	bin    string
	cred   *syscall.Credential
}

// URL returns a connection URL for database db on the cluster.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, db)
}

// BinDir returns the directory holding initdb and pg_ctl, or "" when the
// server binaries are not installed.
func BinDir() string {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	return ""
}

// Start initializes dir (when empty) and starts a server on a free port. A
// server already running on dir (left by a process that crashed) is reused
// on its port: see Reused.
func Start(ctx context.Context, dir string) (*Cluster, error) {
	bin := BinDir()
	if bin == "" {
		return nil, errors.New("no PostgreSQL server answers and its server binaries (initdb, pg_ctl) are not installed")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		if c.cred, err = postgresUser(); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if c.cred != nil {
		// The data folder is the cluster's own; the folders above it are
		// not ours to change: say so when the postgres user cannot pass.
		if err := os.Chown(dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return nil, err
		}
		if err := c.reachable(ctx); err != nil {
			return nil, err
		}
	}
	if port, ok := c.running(ctx); ok {
		c.Port, c.Reused = port, true
		return c, nil
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err != nil {
		if out, err := c.run(ctx, "initdb", "-D", dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"); err != nil {
			return nil, fmt.Errorf("initdb: %w\n%s", err, out)
		}
	}
	if c.Port, err = freePort(); err != nil {
		return nil, err
	}
	return c, c.Restart(ctx)
}

// Restart starts a stopped cluster again on the same port. It listens on
// 127.0.0.1 only, without a Unix socket: a socket in the data folder would
// fail past 107 bytes of path (a deep checkout), and clients use TCP.
func (c *Cluster) Restart(ctx context.Context) error {
	opts := fmt.Sprintf("-p %d -c unix_socket_directories='' -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300", c.Port)
	if out, err := c.run(ctx, "pg_ctl", "-D", c.Dir, "-o", opts, "-l", filepath.Join(c.Dir, "server.log"), "-w", "-t", "60", "start"); err != nil {
		return fmt.Errorf("pg_ctl start: %w\n%s", err, out)
	}
	return nil
}

// running reports whether a server runs on the data folder (one a crashed
// process left behind), and its port (postmaster.pid's fourth line).
func (c *Cluster) running(ctx context.Context) (int, bool) {
	if _, err := c.run(ctx, "pg_ctl", "-D", c.Dir, "status"); err != nil {
		return 0, false
	}
	b, err := os.ReadFile(filepath.Join(c.Dir, "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 {
		return 0, false
	}
	port, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	return port, err == nil && port > 0
}

// reachable checks that the postgres user can enter and write the data
// folder: every folder above it must let that user through. Jalon never
// changes their permissions; it names the folder in the way.
func (c *Cluster) reachable(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, "test", "-w", c.Dir, "-a", "-x", c.Dir)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	if cmd.Run() == nil {
		return nil
	}
	blocked := c.Dir
	for d := c.Dir; ; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil && !c.canEnter(fi) {
			blocked = d // the last one found, going up, is the highest
		}
		if d == filepath.Dir(d) {
			break
		}
	}
	mode := ""
	if fi, err := os.Stat(blocked); err == nil {
		mode = " (" + fi.Mode().String() + ")"
	}
	return fmt.Errorf("the private PostgreSQL cluster runs as the \"postgres\" user (initdb refuses root), "+
		"which cannot reach %s: the folder %s%s does not let it through. Let it in (e.g. chmod o+x %s), "+
		"run from a folder it can read, or set DATABASE_URL to a running server; Jalon does not change folder permissions",
		c.Dir, blocked, mode, blocked)
}

// canEnter reports whether the postgres user may traverse the folder fi.
func (c *Cluster) canEnter(fi os.FileInfo) bool {
	perm := fi.Mode().Perm()
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	switch {
	case st.Uid == c.cred.Uid:
		return perm&0o100 != 0
	case st.Gid == c.cred.Gid:
		return perm&0o010 != 0
	}
	return perm&0o001 != 0
}

// Stop shuts the cluster down (fast mode).
func (c *Cluster) Stop() error {
	out, err := c.run(context.Background(), "pg_ctl", "-D", c.Dir, "-m", "fast", "-w", "stop")
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %w\n%s", err, out)
	}
	return nil
}

func (c *Cluster) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	cmd.Dir = c.Dir
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd.CombinedOutput()
}

func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, errors.New(`running as root, and there is no "postgres" user to run initdb as`)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
