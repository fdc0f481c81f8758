// Package loadcompare measures Jalon against a hand-written server on the
// two daily screens of issue 12 (an apprentice's log-book page, a tutor's
// waiting list): it loads the data set (internal/benchdata) into a fresh
// database, starts both servers as child processes, checks that they give
// byte-for-byte the same answers, then drives them alternately over
// loopback HTTP and prints throughput, latency, CPU, statements and memory
// per server and their ratio. cmd/loadcompare is its command line.
package loadcompare

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"jalon/internal/auth"
	"jalon/internal/benchdata"
	"jalon/internal/clock"
	"jalon/internal/config"
	"jalon/internal/postgres"
	"jalon/internal/procstat"
)

// Options configure a run. Zero values take the defaults of issue 12.
type Options struct {
	// ServerURL is a database of the PostgreSQL server (e.g. its "postgres"
	// database): the run creates a fresh database there, migrates it, and
	// drops it at the end unless Keep.
	ServerURL string
	Keep      bool
	// DatabaseURL, instead of ServerURL, is a migrated database without
	// the data set (tests).
	DatabaseURL string

	Size    benchdata.Size // default benchdata.Full
	Screens []Screen       // default both
	Conns   []int          // client connections, default 16 and 64
	Round   time.Duration  // default 15 s
	Rounds  int            // default 7
	Warmup  time.Duration  // per server, screen and connection count; default 3 s
	// DBConns is each server's pool size (JALON_DB_MAX_CONNS), default 20.
	DBConns int
	// CPUProfile, when set, is a path prefix: after the rounds of each
	// screen and connection count, one more Jalon round (not in the table)
	// runs under the CPU profiler, written to <prefix>-<screen>-c<conns>.pprof.
	CPUProfile string
	// JalonEnv are extra KEY=VALUE variables of the Jalon server (e.g.
	// GOGC=400, JALON_LOG_LEVEL=warn).
	JalonEnv []string
	// Executable starts the servers (default: this program, see MaybeChild).
	Executable string

	Out io.Writer // the table (default stdout)
	Log io.Writer // progress (default stderr)
}

func (o *Options) defaults() error {
	if o.Size == (benchdata.Size{}) {
		o.Size = benchdata.Full
	}
	if len(o.Screens) == 0 {
		o.Screens = []Screen{Apprentice, Tutor}
	}
	if len(o.Conns) == 0 {
		o.Conns = []int{16, 64}
	}
	if o.Round == 0 {
		o.Round = 15 * time.Second
	}
	if o.Rounds == 0 {
		o.Rounds = 7
	}
	if o.Warmup == 0 {
		o.Warmup = 3 * time.Second
	}
	if o.DBConns == 0 {
		o.DBConns = 20
	}
	if o.Out == nil {
		o.Out = os.Stdout
	}
	if o.Log == nil {
		o.Log = os.Stderr
	}
	if o.Executable == "" {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		o.Executable = exe
	}
	for _, s := range o.Screens {
		if s != Apprentice && s != Tutor {
			return fmt.Errorf("unknown screen %q (apprentice, tutor)", s)
		}
	}
	for _, c := range o.Conns {
		if c < 1 {
			return fmt.Errorf("connections: %d", c)
		}
	}
	if o.Rounds < 1 || o.Round < 100*time.Millisecond {
		return errors.New("at least one round of at least 100ms")
	}
	return nil
}

// Summary is one server's figures on one screen and connection count:
// medians over the rounds, but RSS (the largest) and errors (the sum).
type Summary struct {
	ReqPerSec float64
	P50, P99  float64 // milliseconds
	CPUPerReq float64 // milliseconds of process CPU time
	// DBCPUPerReq: milliseconds of CPU time of the local PostgreSQL's
	// processes (0 when the database is on another machine).
	DBCPUPerReq float64
	Cores       float64 // process CPU time / wall time
	Statements  float64 // SQL statements per request
	RoundTrips  float64 // queries or batches sent per request
	RSS         float64 // MB, largest sampled
	Errors      int
	PerRound    []float64 // req/s of each round, in order
}

// Row is one screen at one connection count.
type Row struct {
	Screen      Screen
	Conns       int
	Jalon, Hand Summary
}

// Result is what a run found.
type Result struct {
	// Compared is the number of requests answered identically by both
	// servers before measuring.
	Compared int
	Rows     []Row
	Table    string
}

// Run loads the data set, starts both servers, compares their answers and
// measures them. It fails when the answers differ, and after printing the
// table when a request failed or answered differently under load.
func Run(ctx context.Context, o Options) (Result, error) {
	if err := o.defaults(); err != nil {
		return Result{}, err
	}
	logf := func(format string, args ...any) { fmt.Fprintf(o.Log, "loadcompare: "+format+"\n", args...) }
	loadBefore := loadAverage()

	dbURL := o.DatabaseURL
	if dbURL == "" {
		url, drop, err := freshDatabase(ctx, o.ServerURL, o.Keep, logf)
		if err != nil {
			return Result{}, err
		}
		defer drop()
		dbURL = url
	}
	pool, err := postgres.Connect(ctx, dbURL, 4)
	if err != nil {
		return Result{}, err
	}
	defer pool.Close()
	var pgVersion string
	if err := pool.QueryRow(ctx, `SHOW server_version`).Scan(&pgVersion); err != nil {
		return Result{}, err
	}
	t0 := time.Now()
	set, err := benchdata.Load(ctx, pool, o.Size)
	if err != nil {
		return Result{}, err
	}
	logf("loaded %d contracts × %d entries in %s", len(set.Apprentices), o.Size.EntriesPerContract, time.Since(t0).Round(time.Millisecond))

	env, tokens, err := serverEnv(dbURL, o.DBConns)
	if err != nil {
		return Result{}, err
	}
	blobs, err := os.MkdirTemp("", "loadcompare-blobs-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(blobs)
	jalon, err := startServer("Jalon", kindJalon, o.Executable, slices.Concat(env, []string{"JALON_BLOB_DIR=" + blobs}, o.JalonEnv))
	if err != nil {
		return Result{}, err
	}
	defer jalon.stop()
	hand, err := startServer("hand-written", kindHand, o.Executable, env)
	if err != nil {
		return Result{}, err
	}
	defer hand.stop()
	for _, s := range []*server{jalon, hand} {
		if err := s.ready(ctx, 2*time.Minute); err != nil {
			return Result{}, err
		}
	}

	reqs, err := requests(ctx, pool, set)
	if err != nil {
		return Result{}, err
	}
	c := comparer{jalon: jalon, hand: hand, tokens: tokens, pool: pool,
		client: &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: time.Minute}}
	if err := c.compareAll(ctx, reqs, set); err != nil {
		return Result{}, err
	}
	logf("both servers gave the same %d answers (%d requests of each screen, refusals and a revoked session)", c.compared, len(set.Apprentices))

	res := Result{Compared: c.compared}
	var failures []string
	for _, conns := range o.Conns {
		for _, screen := range o.Screens {
			rs := reqs[screen]
			row := Row{Screen: screen, Conns: conns}
			var jr, hr []round
			for _, s := range []*server{jalon, hand} {
				mint(tokens, rs)
				if l := drive(ctx, s.api, rs, conns, o.Warmup); l.errors > 0 {
					return res, fmt.Errorf("%s, warm-up of %s with %d connections: %d errors, first: %s", s.name, screen.Title(), conns, l.errors, l.firstError)
				}
			}
			for i := range o.Rounds {
				// Alternate which server goes first.
				order := []*server{jalon, hand}
				if i%2 == 1 {
					order = []*server{hand, jalon}
				}
				for _, s := range order {
					mint(tokens, rs)
					r, err := measure(ctx, s, rs, conns, o.Round)
					if err != nil {
						return res, err
					}
					if s == jalon {
						jr = append(jr, r)
					} else {
						hr = append(hr, r)
					}
					if r.errors > 0 {
						failures = append(failures, fmt.Sprintf("%s, %s, %d connections: %d errors, first: %s", s.name, screen.Title(), conns, r.errors, r.firstError))
					}
				}
				logf("%s, %d connections, round %d/%d: Jalon %.0f req/s, hand-written %.0f req/s",
					screen.Title(), conns, i+1, o.Rounds, jr[len(jr)-1].reqPerSec, hr[len(hr)-1].reqPerSec)
			}
			row.Jalon, row.Hand = summarize(jr), summarize(hr)
			res.Rows = append(res.Rows, row)
			if o.CPUProfile != "" {
				path := fmt.Sprintf("%s-%s-c%d.pprof", o.CPUProfile, screen, conns)
				if err := profileRound(ctx, jalon, rs, conns, o.Round, tokens, path); err != nil {
					return res, err
				}
				logf("CPU profile of Jalon (one more round, not in the table): %s", path)
			}
		}
	}
	for _, s := range []*server{jalon, hand} {
		if err := s.stop(); err != nil {
			return res, err
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "Data: %d tutors × %d apprentices, %d active contracts × %d log entries (%d), 2 competencies each.\n",
		o.Size.Tutors, o.Size.ApprenticesPerTutor, len(set.Apprentices), o.Size.EntriesPerContract, set.Entries())
	fmt.Fprintf(&b, "Machine: %s, %d CPUs; load average %s before, %s after; %s, PostgreSQL %s; each server a pool of %d connections.\n",
		machine(), runtime.NumCPU(), loadBefore, loadAverage(), runtime.Version(), pgVersion, o.DBConns)
	fmt.Fprintf(&b, "Method: %d alternating rounds of %s per server (after %s of warm-up), medians of the rounds (RSS: largest sample; rounds: lowest–highest req/s);\n"+
		"CPU from /proc/<pid>/stat (user+system) of each server process, DB CPU of this machine's processes named postgres; statements counted by a pgx tracer in each server's pool.\n\n",
		o.Rounds, o.Round, o.Warmup)
	b.WriteString(table(res.Rows))
	res.Table = b.String()
	fmt.Fprint(o.Out, res.Table)
	if len(failures) > 0 {
		return res, fmt.Errorf("requests failed under load:\n%s", strings.Join(failures, "\n"))
	}
	return res, nil
}

// freshDatabase creates and migrates a database on the server of url and
// returns its URL and a function dropping it (unless keep).
func freshDatabase(ctx context.Context, url string, keep bool, logf func(string, ...any)) (string, func(), error) {
	if url == "" {
		url = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return "", nil, fmt.Errorf("database URL: %w", err)
	}
	admin, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return "", nil, err
	}
	defer admin.Close(ctx)
	name := "jalon_loadcompare_" + hex.EncodeToString(randomBytes(4))
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", nil, err
	}
	drop := func() {
		if keep {
			logf("kept database %s", name)
			return
		}
		c, err := pgx.ConnectConfig(context.Background(), cfg)
		if err == nil {
			_, err = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
			c.Close(context.Background())
		}
		if err != nil {
			logf("could not drop database %s: %v", name, err)
		}
	}
	dbURL, err := withDatabase(url, name)
	if err == nil {
		err = migrate(ctx, dbURL)
	}
	if err != nil {
		drop()
		return "", nil, err
	}
	logf("created and migrated database %s", name)
	return dbURL, drop, nil
}

func withDatabase(url, name string) (string, error) {
	// Both URL and key=value connection strings: let pgx parse, then
	// rebuild a URL.
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return "", err
	}
	u := fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, name)
	if cfg.Password != "" {
		u = fmt.Sprintf("postgres://%s:%s@%s:%d/%s", cfg.User, cfg.Password, cfg.Host, cfg.Port, name)
	}
	if cfg.TLSConfig == nil {
		u += "?sslmode=disable"
	}
	return u, nil
}

func migrate(ctx context.Context, url string) error {
	pool, err := postgres.Connect(ctx, url, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	m, err := postgres.NewMigrator(pool)
	if err != nil {
		return err
	}
	defer m.Close()
	return m.Up(ctx, io.Discard)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// serverEnv is the environment of both servers: production mode (JSON
// logs, no explorer), fresh random keys, no job worker, no migration; and
// the token service of those keys.
func serverEnv(dbURL string, dbConns int) ([]string, *auth.Tokens, error) {
	vars := map[string]string{
		"JALON_ENV":                "production",
		"DATABASE_URL":             dbURL,
		"JALON_DB_MAX_CONNS":       fmt.Sprint(dbConns),
		"JALON_JWT_KEYS":           "lc:" + base64.StdEncoding.EncodeToString(randomBytes(32)),
		"JALON_JWT_SIGNING_KEY_ID": "lc",
		"JALON_URL_SIGNING_KEY":    hex.EncodeToString(randomBytes(32)),
		"JALON_IDENTITY_KEY":       hex.EncodeToString(randomBytes(32)),
		"JALON_WORKER":             "false",
		"JALON_AUTO_MIGRATE":       "false",
	}
	cfg, err := config.LoadFrom(func(k string) string { return vars[k] })
	if err != nil {
		return nil, nil, err
	}
	// The caller's environment, but for Jalon's own variables.
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, "JALON_") && k != "DATABASE_URL" && k != childEnv {
			env = append(env, kv)
		}
	}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	slices.Sort(env)
	return env, auth.NewTokens(cfg.JWT, clock.Real{}), nil
}

// requests stores a session for every user of the set and returns each
// screen's requests: every apprentice's page, every tutor's waiting list.
func requests(ctx context.Context, pool *pgxpool.Pool, set benchdata.Set) (map[Screen][]*request, error) {
	out := map[Screen][]*request{}
	for _, a := range set.Apprentices {
		body, _ := json.Marshal(map[string]any{"query": ApprenticePage, "variables": map[string]string{"c": a.Contract.String()}})
		out[Apprentice] = append(out[Apprentice], &request{screen: Apprentice, user: a.ID, role: auth.Apprentice, body: body})
	}
	waiting, _ := json.Marshal(map[string]any{"query": WaitingList})
	for _, t := range set.Tutors {
		out[Tutor] = append(out[Tutor], &request{screen: Tutor, user: t, role: auth.Tutor, body: waiting})
	}
	for _, rs := range out {
		for _, r := range rs {
			f, err := newSession(ctx, pool, r.user)
			if err != nil {
				return nil, err
			}
			r.family = f
		}
	}
	return out, nil
}

// newSession stores a live session for user, as login does, and returns its
// family.
func newSession(ctx context.Context, pool *pgxpool.Pool, user uuid.UUID) (uuid.UUID, error) {
	family := uuid.New()
	_, err := pool.Exec(ctx, `INSERT INTO sessions (family_id, user_id, token_hash, created_at, expires_at)
		VALUES ($1, $2, $3, now(), now() + interval '30 days')`, family, user, randomBytes(32))
	return family, err
}

// mint gives each request a fresh access token of its session.
func mint(tokens *auth.Tokens, rs []*request) {
	for _, r := range rs {
		tok, _, err := tokens.IssueForSession(r.user, r.role, r.family)
		if err != nil {
			panic(err) // a signing key the tool itself generated
		}
		r.authorization = "Bearer " + tok
	}
}

// comparer checks that both servers answer alike.
type comparer struct {
	jalon, hand *server
	tokens      *auth.Tokens
	pool        *pgxpool.Pool
	client      *http.Client
	compared    int
}

// same sends one request to both servers and returns the answer when both
// are identical (status, media type, every byte of the body).
func (c *comparer) same(ctx context.Context, what, authorization string, body []byte) ([]byte, error) {
	j, err := post(ctx, c.client, c.jalon.api, authorization, body)
	if err != nil {
		return nil, fmt.Errorf("%s: Jalon: %w", what, err)
	}
	h, err := post(ctx, c.client, c.hand.api, authorization, body)
	if err != nil {
		return nil, fmt.Errorf("%s: hand-written: %w", what, err)
	}
	if j.status != h.status || j.contentType != h.contentType || !bytes.Equal(j.body, h.body) {
		return nil, fmt.Errorf("%s: the servers answer differently\n  Jalon:        %d %s %s\n  hand-written: %d %s %s\n%s",
			what, j.status, j.contentType, shorten(j.body), h.status, h.contentType, shorten(h.body), difference(j.body, h.body))
	}
	if j.status != http.StatusOK {
		return nil, fmt.Errorf("%s: both servers answer %d: %s", what, j.status, shorten(j.body))
	}
	c.compared++
	return j.body, nil
}

// compareAll compares every request of the run (keeping the answer each
// must give under load), then refusals both servers must give alike.
func (c *comparer) compareAll(ctx context.Context, reqs map[Screen][]*request, set benchdata.Set) error {
	for _, screen := range []Screen{Apprentice, Tutor} {
		mint(c.tokens, reqs[screen])
		for i, r := range reqs[screen] {
			got, err := c.same(ctx, fmt.Sprintf("%s of user %d (%s)", screen.Title(), i, r.user), r.authorization, r.body)
			if err != nil {
				return err
			}
			if !bytes.HasPrefix(got, []byte(`{"data":{"logEntries":{"totalCount":`)) || bytes.Contains(got, []byte(`"errors"`)) ||
				!bytes.Contains(got, []byte(`"nodes":[{"id":`)) {
				return fmt.Errorf("%s of user %d: not a page of entries: %s", screen.Title(), i, shorten(got))
			}
			r.want = got
		}
	}

	// Refusals, and a tutor reading a contract they tutor.
	apprentices := reqs[Apprentice]
	first := apprentices[0]
	mustRefuse := func(what, authorization string, body []byte, code string) error {
		got, err := c.same(ctx, what, authorization, body)
		if err == nil && !bytes.Contains(got, []byte(`"code":"`+code+`"`)) {
			err = fmt.Errorf("%s: want %s, got %s", what, code, shorten(got))
		}
		return err
	}
	if len(apprentices) > 1 {
		if err := mustRefuse("an apprentice reading another's contract", first.authorization, apprentices[1].body, "NOT_FOUND"); err != nil {
			return err
		}
	}
	tutor := &request{user: set.Apprentices[0].Tutor, role: auth.Tutor}
	var err error
	if tutor.family, err = newSession(ctx, c.pool, tutor.user); err != nil {
		return err
	}
	mint(c.tokens, []*request{tutor})
	if _, err := c.same(ctx, "a tutor reading a contract they tutor", tutor.authorization, first.body); err != nil {
		return err
	}
	for i, a := range set.Apprentices {
		if a.Tutor != tutor.user {
			if err := mustRefuse("a tutor reading a contract they do not tutor", tutor.authorization, apprentices[i].body, "NOT_FOUND"); err != nil {
				return err
			}
			break
		}
	}
	for _, screen := range []Screen{Apprentice, Tutor} {
		if err := mustRefuse(screen.Title()+" without a token", "", reqs[screen][0].body, "UNAUTHENTICATED"); err != nil {
			return err
		}
	}
	// A revoked session ends its access tokens at once, on both servers.
	revoked := &request{user: first.user, role: auth.Apprentice}
	if revoked.family, err = newSession(ctx, c.pool, revoked.user); err != nil {
		return err
	}
	mint(c.tokens, []*request{revoked})
	if _, err := c.same(ctx, "a new session", revoked.authorization, first.body); err != nil {
		return err
	}
	if _, err := c.pool.Exec(ctx, `UPDATE sessions SET revoked_at = now() WHERE family_id = $1`, revoked.family); err != nil {
		return err
	}
	// Revoked behind the servers' back, with the UPDATE every revocation path
	// of internal/identity runs: a server caching sessions must see it too.
	return mustRefuse("a session revoked in the database", revoked.authorization, first.body, "UNAUTHENTICATED")
}

func shorten(b []byte) string {
	if len(b) > 400 {
		return string(b[:400]) + "…"
	}
	return string(b)
}

// difference shows where two answers part.
func difference(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-80)
	return fmt.Sprintf("  first difference at byte %d:\n  Jalon:        …%s\n  hand-written: …%s",
		i, a[from:min(len(a), i+80)], b[from:min(len(b), i+80)])
}

// round is one server's figures in one round.
type round struct {
	reqPerSec, p50, p99, cpuPerReq, dbCPUPerReq, cores, statements, roundTrips float64
	rss                                                                        int64
	errors                                                                     int
	firstError                                                                 string
}

// measure drives s for d and reads its CPU time, statements and RSS.
func measure(ctx context.Context, s *server, rs []*request, conns int, d time.Duration) (round, error) {
	c0, err := s.counts()
	if err != nil {
		return round{}, err
	}
	cpu0, err := procstat.CPUTime(s.pid())
	if err != nil {
		return round{}, err
	}
	db0, err := databaseCPU()
	if err != nil {
		return round{}, err
	}
	w0 := time.Now()
	sampler := sampleRSS(s.pid())
	l := drive(ctx, s.api, rs, conns, d)
	maxRSS := sampler.stop()
	cpu1, err := procstat.CPUTime(s.pid())
	if err != nil {
		return round{}, err
	}
	wall := time.Since(w0)
	db1, err := databaseCPU()
	if err != nil {
		return round{}, err
	}
	db := procstat.Since(db0, db1)
	c1, err := s.counts()
	if err != nil {
		return round{}, err
	}
	r := round{errors: l.errors, firstError: l.firstError, rss: maxRSS,
		reqPerSec: float64(l.counted) / d.Seconds(),
		p50:       percentile(l.latencies, 0.50), p99: percentile(l.latencies, 0.99),
		cores: (cpu1 - cpu0).Seconds() / wall.Seconds()}
	if l.all > 0 {
		r.cpuPerReq = float64(cpu1-cpu0) / float64(time.Millisecond) / float64(l.all)
		r.dbCPUPerReq = float64(db) / float64(time.Millisecond) / float64(l.all)
		r.statements = float64(c1.Statements-c0.Statements) / float64(l.all)
		r.roundTrips = float64(c1.RoundTrips-c0.RoundTrips) / float64(l.all)
	}
	return r, nil
}

// profileRound runs one more round on s while its CPU profile is taken.
func profileRound(ctx context.Context, s *server, rs []*request, conns int, d time.Duration, tokens *auth.Tokens, path string) error {
	mint(tokens, rs)
	errc := make(chan error, 1)
	go func() { errc <- s.profile(d, path) }()
	drive(ctx, s.api, rs, conns, d.Round(time.Second)+time.Second)
	return <-errc
}

func summarize(rs []round) Summary {
	med := func(f func(round) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		if n := len(v); n%2 == 0 {
			return (v[n/2-1] + v[n/2]) / 2
		}
		return v[len(v)/2]
	}
	s := Summary{
		ReqPerSec:   med(func(r round) float64 { return r.reqPerSec }),
		P50:         med(func(r round) float64 { return r.p50 }),
		P99:         med(func(r round) float64 { return r.p99 }),
		CPUPerReq:   med(func(r round) float64 { return r.cpuPerReq }),
		DBCPUPerReq: med(func(r round) float64 { return r.dbCPUPerReq }),
		Cores:       med(func(r round) float64 { return r.cores }),
		Statements:  med(func(r round) float64 { return r.statements }),
		RoundTrips:  med(func(r round) float64 { return r.roundTrips }),
	}
	for _, r := range rs {
		s.RSS = max(s.RSS, float64(r.rss)/(1<<20))
		s.Errors += r.errors
		s.PerRound = append(s.PerRound, r.reqPerSec)
	}
	return s
}

// table formats the rows as a Markdown table, with the ratio Jalon /
// hand-written under each pair.
func table(rows []Row) string {
	var b strings.Builder
	b.WriteString("| screen | conns | server | req/s | (rounds) | p50 ms | p99 ms | CPU ms/req | cores | DB CPU ms/req | SQL stmts/req | round trips/req | max RSS MB | errors |\n")
	b.WriteString("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	line := func(r Row, name string, s Summary) {
		fmt.Fprintf(&b, "| %s | %d | %s | %.0f | %.0f–%.0f | %.1f | %.1f | %.2f | %.2f | %.2f | %.2f | %.2f | %.0f | %d |\n",
			r.Screen.Title(), r.Conns, name, s.ReqPerSec, slices.Min(s.PerRound), slices.Max(s.PerRound),
			s.P50, s.P99, s.CPUPerReq, s.Cores, s.DBCPUPerReq, s.Statements, s.RoundTrips, s.RSS, s.Errors)
	}
	ratio := func(a, b float64) string {
		if b == 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f", a/b)
	}
	for _, r := range rows {
		line(r, "Jalon", r.Jalon)
		line(r, "hand-written", r.Hand)
		j, h := r.Jalon, r.Hand
		fmt.Fprintf(&b, "| %s | %d | **Jalon / hand-written** | **%s** | | %s | %s | %s | %s | %s | %s | %s | %s | |\n",
			r.Screen.Title(), r.Conns, ratio(j.ReqPerSec, h.ReqPerSec), ratio(j.P50, h.P50), ratio(j.P99, h.P99),
			ratio(j.CPUPerReq, h.CPUPerReq), ratio(j.Cores, h.Cores), ratio(j.DBCPUPerReq, h.DBCPUPerReq), ratio(j.Statements, h.Statements),
			ratio(j.RoundTrips, h.RoundTrips), ratio(j.RSS, h.RSS))
	}
	return b.String()
}
