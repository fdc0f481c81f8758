// Package config reads Jalon's configuration from the environment. Every
// variable is documented in the README; Load names the first bad variable and
// refuses development defaults in production mode.
package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// DevSigningSecret is the built-in development key for tokens and signed URLs.
// Production mode refuses to start with it.
const DevSigningSecret = "jalon-development-only-secret-do-not-use-in-production"

// DevelopmentAddr is the default listen address in development: loopback
// only, since anyone who reads the README knows the development keys.
const DevelopmentAddr = "127.0.0.1:8080"

// DefaultDatabaseURL is the local PostgreSQL the README's commands expect.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/jalon?sslmode=disable"

// Config is the whole configuration of a Jalon process.
type Config struct {
	Env         string // "development" or "production"
	Addr        string
	DatabaseURL string
	// DatabaseListenURL, when set, is a direct connection (a session of
	// its own) for what cannot go through a transaction-mode pooler such
	// as PgBouncer: LISTEN, River's workers and migrations; DatabaseURL then
	// carries request traffic only. Empty: DatabaseURL serves both.
	DatabaseListenURL string
	// DBMaxConns bounds the pool shared by requests and job workers.
	DBMaxConns int
	LogLevel   string
	LogFormat  string // "json" or "console"
	PublicURL  string // base of absolute URLs handed to clients (signed URLs, feeds)

	AutoMigrate     bool
	ShutdownTimeout time.Duration

	JWT        JWTConfig
	GraphQL    GraphQLConfig
	URLSigning []byte // key for signed, expiring download URLs (and review links)
	// ReviewLinkTTL is how long an e-mailed review link works
	// (JALON_REVIEW_LINK_TTL, 7 days by default).
	ReviewLinkTTL time.Duration

	Firebase FirebaseConfig
	Mail     MailConfig
	Worker   WorkerConfig
	// databaseURLDefaulted: DATABASE_URL was not set (refused in production).
	databaseURLDefaulted bool
	Blob                 BlobConfig

	Identity IdentityConfig

	Retention RetentionConfig

	// Risk configures the risk score (internal/risk): when it is computed,
	// its level thresholds, and overrides of its reasons' weights and
	// thresholds (risk.DefaultPolicy documents the defaults).
	Risk RiskConfig
	// Escalation: when reminders and escalations to the adviser fire.
	Escalation EscalationConfig
	// Tours: how day tours of company visits are estimated (visitTour).
	Tours ToursConfig

	// CORSOrigins are the browser origins (scheme://host[:port]) allowed to
	// call the API cross-origin and to open subscriptions; none by default.
	CORSOrigins []string
	HTTP        HTTPConfig
	Websocket   WebsocketConfig
	Tracing     TracingConfig
	// SessionCache: see SessionCacheConfig.
	SessionCache SessionCacheConfig
	// DebugAddr, when set (JALON_DEBUG_ADDR), is a loopback address where a
	// second listener serves the runtime's profiles (net/http/pprof). Off
	// by default in every mode; never on the public listener, never on a
	// non-loopback address.
	DebugAddr string

	// envExplicit: JALON_ENV was set (or `jalon dev` asked for development);
	// the built-in development keys are used only then.
	envExplicit bool
}

// HTTPConfig bounds how long a connection may hold the server: slow headers,
// slow bodies and idle keep-alive connections are cut off.
type HTTPConfig struct {
	ReadHeaderTimeout time.Duration
	// IdleTimeout closes a keep-alive connection that sends no new request.
	IdleTimeout time.Duration
	// TransferTimeout bounds an upload (a multipart request, body and
	// handling) and the writing of any response (downloads). Other request
	// bodies must arrive within GraphQLConfig.RequestTimeout.
	TransferTimeout time.Duration
}

// SessionCacheConfig configures the in-process cache of the callers found
// valid (auth.SessionCache), kept true across processes by PostgreSQL's
// announcements of revocations and account changes. Off by default: with
// it, a revocation reaches a process when PostgreSQL's notification does
// (normally well under a millisecond after the commit, but after the
// revoking request's answer is not guaranteed), where without it the very
// next request is refused.
type SessionCacheConfig struct {
	// Enabled: with false, every request checks its session in PostgreSQL.
	Enabled bool
	// MaxAge bounds how long a cached caller is trusted without asking
	// PostgreSQL again (a backstop; changes are announced at once).
	MaxAge time.Duration
}

// WebsocketConfig bounds the subscriptions' websockets of one process.
type WebsocketConfig struct {
	// InitTimeout closes a socket that has not sent connection_init.
	InitTimeout time.Duration
	// PingInterval: the server pings every interval and closes a socket
	// whose pong has not come within two intervals.
	PingInterval time.Duration
	// MaxPerUser and MaxTotal cap the open sockets of one user and of the
	// process (per process: several processes each allow as many).
	MaxPerUser int
	MaxTotal   int
}

// TracingConfig turns OpenTelemetry tracing on (internal/tracing). Only
// whether to trace is decided here; the OpenTelemetry SDK reads the other
// standard variables itself (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT,
// OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER, ...).
type TracingConfig struct {
	// Enabled: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT
	// is set, and neither OTEL_SDK_DISABLED=true nor OTEL_TRACES_EXPORTER=none.
	// Off, no span is ever started and no instrumentation is installed.
	Enabled bool
	// Endpoint is the OTLP/HTTP endpoint spans are exported to (for the log
	// line saying where traces go).
	Endpoint string
}

// RetentionConfig holds the retention periods, in days (0 = keep forever),
// applied by the periodic retention job every Every.
type RetentionConfig struct {
	// Read notifications are deleted this many days after they were created.
	NotificationsDays int
	// Audit entries are pruned this many days after they were recorded.
	AuditDays int
	// Apprentices whose contracts all ended this many days ago are erased.
	EndedContractsDays int
	// Review links (internal/reviewlink) are deleted this many days after
	// they expired or were revoked: they no longer work, and the audit log
	// keeps what was done through them.
	ReviewLinksDays int
	Every           time.Duration
}

// EscalationConfig holds the delays, in days, of the follow-up reminders
// and of their escalation to the adviser (internal/followup): an entry
// waiting for review reminds the tutor after ReviewReminderDays and escalates
// to the adviser after ReviewEscalationDays; an evaluation waiting for a
// signature reminds the signer after SignatureReminderDays and, while the
// apprentice is the one who has not signed, escalates to the adviser after
// SignatureEscalationDays.
type EscalationConfig struct {
	ReviewReminderDays      int
	ReviewEscalationDays    int
	SignatureReminderDays   int
	SignatureEscalationDays int
}

// ToursConfig says how a day tour of company visits (visitTour) is
// estimated: travel time is the great-circle distance times RoadFactor at
// SpeedKmh; each proposed visit lasts VisitLength; the day runs from DayStart
// to DayEnd (Brussels wall-clock, as offsets from midnight); the companies of
// one tour lie within RadiusKm of its first (most urgent) one.
type ToursConfig struct {
	SpeedKmh    float64
	RoadFactor  float64
	VisitLength time.Duration
	DayStart    time.Duration
	DayEnd      time.Duration
	RadiusKm    float64
}

// IdentityConfig holds password hashing and login throttling settings.
type IdentityConfig struct {
	// Argon2id cost; raising them re-hashes each password at its next login.
	ArgonMemoryKiB int
	ArgonTime      int
	ArgonThreads   int
	// HashConcurrency bounds the password hashes running at once.
	HashConcurrency int
	// Login throttling: failures allowed per account and per client address
	// within LoginWindow before further attempts answer RATE_LIMITED.
	LoginMaxPerAccount int
	LoginMaxPerAddress int
	LoginWindow        time.Duration
	// TrustedProxies are the networks of the reverse proxies in front of
	// Jalon: behind one, the client address is read from X-Forwarded-For.
	TrustedProxies []netip.Prefix
	// Key keys the hashes that stand for e-mail addresses in the audit log
	// and the login throttle, and derives the answer to a retried refresh.
	Key []byte
	// RefreshRetryWindow is how long a refresh token just exchanged may be
	// presented again and get the same new pair (a phone retrying).
	RefreshRetryWindow time.Duration
	// InvitationTTL is how long an invitation link (first password) stays
	// valid.
	InvitationTTL time.Duration
}

// JWTConfig holds the access-token keys. Keys maps a key id to its HMAC-SHA256
// secret; SigningKeyID names the one that signs; all of them verify, so a key
// can be rotated without logging everyone out.
type JWTConfig struct {
	Keys            map[string][]byte
	SigningKeyID    string
	Issuer          string
	Audience        string
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
}

// GraphQLConfig holds the limits applied before a query executes.
type GraphQLConfig struct {
	MaxDepth       int
	MaxAliases     int
	MaxComplexity  int
	MaxTokens      int
	MaxBodyBytes   int64
	MaxUploadBytes int64
	RequestTimeout time.Duration
	APQCacheSize   int
	// SubscriptionRecheck is how often a live subscription re-checks that
	// its caller is still active and their session not revoked.
	SubscriptionRecheck time.Duration
	// Document limits, checked before validation (graph.DocumentLimits),
	// and the most errors one response lists.
	MaxSelections       int
	MaxSelectionsPerSet int
	MaxDirectives       int
	MaxArguments        int
	MaxErrors           int
	// Anonymous GraphQL requests run at most AnonymousConcurrency at once,
	// AnonymousQueue more wait; beyond, RATE_LIMITED (httpserver.Gate).
	AnonymousConcurrency int
	AnonymousQueue       int
}

// BlobConfig says where attachment files are kept (internal/blobstore).
type BlobConfig struct {
	// URL is file:///path (one machine) or s3://bucket[/prefix]?endpoint=
	// https://host[:port]&region=name (any number of machines): JALON_BLOB_URL,
	// or file:<JALON_BLOB_DIR>; file:data/blobs by default.
	URL string
	// The object store's credentials, from the standard AWS variables
	// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN); never
	// in the URL, which is logged.
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	// Redirect answers a download with a redirect to a presigned
	// object-store URL instead of streaming it (JALON_BLOB_REDIRECT; s3 only).
	Redirect bool
}

// S3 reports whether the files are in an object store.
func (b BlobConfig) S3() bool { return strings.HasPrefix(b.URL, "s3:") }

// FileURL is the file: URL of a directory (absolute, or relative to the
// working directory).
func FileURL(dir string) string {
	if filepath.IsAbs(dir) {
		return (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}).String()
	}
	return "file:" + (&url.URL{Path: filepath.ToSlash(dir)}).EscapedPath()
}

// FirebaseConfig configures push delivery. Without CredentialsFile push is off.
type FirebaseConfig struct {
	CredentialsFile string
	ProjectID       string
	Endpoint        string // override of the FCM endpoint (tests, fake servers)
}

// MailConfig configures e-mail delivery (internal/mail). Without SMTP,
// e-mail is off: notifications go to the inbox and by push only.
type MailConfig struct {
	// SMTP is JALON_SMTP_URL parsed; nil when unset.
	SMTP *SMTPConfig
	// From is JALON_MAIL_FROM, the sender: "Jalon <noreply@example.org>"
	// or a bare address.
	From string
	// DigestScanPeriod is how often the digest scan looks for tutors whose
	// daily or weekly digest is due (JALON_MAIL_DIGEST_INTERVAL).
	DigestScanPeriod time.Duration
}

// SMTPTLS is how the connection to the SMTP server is protected.
type SMTPTLS string

const (
	// STARTTLS upgrades a plain connection (smtp://, port 587 by default);
	// a server that does not offer it is refused.
	STARTTLS SMTPTLS = "starttls"
	// ImplicitTLS speaks TLS from the first byte (smtps://, port 465).
	ImplicitTLS SMTPTLS = "tls"
	// NoTLS sends in clear (smtp://host?tls=none): a catcher or relay on
	// this machine only in production.
	NoTLS SMTPTLS = "none"
)

// SMTPConfig is where mail is sent. The password is never logged: String
// and the log of the configuration leave it out.
type SMTPConfig struct {
	Host     string
	Port     int
	TLS      SMTPTLS
	Username string
	Password string
}

// String is the server's URL without its password.
func (s SMTPConfig) String() string {
	scheme := "smtp"
	if s.TLS == ImplicitTLS {
		scheme = "smtps"
	}
	u := url.URL{Scheme: scheme, Host: net.JoinHostPort(s.Host, strconv.Itoa(s.Port))}
	if s.Username != "" {
		u.User = url.User(s.Username)
	}
	if s.TLS == NoTLS {
		u.RawQuery = "tls=none"
	}
	return u.String()
}

// Loopback reports whether the server is on this machine.
func (s SMTPConfig) Loopback() bool {
	if s.Host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(s.Host)
	return err == nil && a.IsLoopback()
}

// ParseSMTPURL reads an SMTP server URL: smtp://[user:password@]host[:port]
// (STARTTLS, port 587), smtps://... (TLS, port 465), and
// smtp://host:port?tls=none (no TLS). The error never repeats the password.
func ParseSMTPURL(raw string) (SMTPConfig, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return SMTPConfig{}, errors.New("not a URL such as smtps://user:password@mail.example.org")
	}
	var c SMTPConfig
	switch u.Scheme {
	case "smtp":
		c.TLS, c.Port = STARTTLS, 587
	case "smtps":
		c.TLS, c.Port = ImplicitTLS, 465
	default:
		return SMTPConfig{}, errors.New(`scheme must be smtp (STARTTLS) or smtps (TLS)`)
	}
	c.Host = u.Hostname()
	if c.Host == "" || (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return SMTPConfig{}, errors.New("expected smtp://[user:password@]host[:port][?tls=none]")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return SMTPConfig{}, errors.New("port must be 1 to 65535")
		}
		c.Port = n
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	q := u.Query()
	for k := range q {
		if k != "tls" {
			return SMTPConfig{}, fmt.Errorf("unknown parameter %q (only tls=none)", k)
		}
	}
	switch q.Get("tls") {
	case "":
	case "none":
		if c.TLS != STARTTLS {
			return SMTPConfig{}, errors.New("tls=none goes with smtp://, not smtps://")
		}
		c.TLS = NoTLS
	default:
		return SMTPConfig{}, errors.New("tls must be none when given")
	}
	return c, nil
}

// WorkerConfig configures background jobs. Each period is how often its
// periodic job is enqueued (also once when a working process starts); the
// retention job's is RetentionConfig.Every.
type WorkerConfig struct {
	Enabled            bool // run River workers inside `jalon serve`
	FollowUpScanPeriod time.Duration
	// MarkMissedPeriod: a visit becomes MISSED at most this long after its
	// 24 hours have passed.
	MarkMissedPeriod time.Duration
	// FileSweepPeriod is how often orphan attachment files are swept.
	FileSweepPeriod time.Duration
	// GuardianMajorityPeriod is how often guardians' access is ended for
	// apprentices who turned 18 (at most this long into their birthday).
	GuardianMajorityPeriod time.Duration
}

// RiskConfig configures the risk computation. Weights and Thresholds are
// overrides as "KIND=value,KIND=value" (e.g. "LOG_GAP=25"), checked against
// the reasons internal/risk knows when the process starts.
type RiskConfig struct {
	// Every is how often every active contract's risk is computed (and the
	// week's snapshot written); RefreshEvery how often the contracts whose
	// data changed are recomputed; DigestEvery how often the weekly digest
	// job looks whether Monday morning has come.
	Every, RefreshEvery, DigestEvery time.Duration
	// WatchAt and HighAt are the scores from which a contract is WATCH and
	// HIGH.
	WatchAt, HighAt int
	Weights         string
	Thresholds      string
}

// Production reports whether the process runs in production mode.
func (c Config) Production() bool { return c.Env == "production" }

// SetDevelopment puts the configuration in development mode as if
// JALON_ENV=development were set (what `jalon dev` asks for).
func (c *Config) SetDevelopment() {
	c.Env, c.envExplicit = "development", true
}

// SessionDatabaseURL is the connection for what needs a database session of
// its own (LISTEN, River's workers, migrations, operator commands):
// JALON_DATABASE_LISTEN_URL when set, else DATABASE_URL.
func (c Config) SessionDatabaseURL() string {
	if c.DatabaseListenURL != "" {
		return c.DatabaseListenURL
	}
	return c.DatabaseURL
}

// DatabaseURLDefaulted reports whether DATABASE_URL was left unset (the
// README's local server applies).
func (c Config) DatabaseURLDefaulted() bool { return c.databaseURLDefaulted }

// UsesDevelopmentKeys reports whether a built-in development key signs
// access tokens or URLs, or keys the identity hashes.
func (c Config) UsesDevelopmentKeys() bool {
	for _, key := range c.JWT.Keys {
		if string(key) == DevSigningSecret {
			return true
		}
	}
	return string(c.URLSigning) == DevSigningSecret || string(c.Identity.Key) == DevSigningSecret
}

// CheckServe fails closed: a process that serves or works jobs refuses the
// built-in development keys (whose value is public) unless development mode
// was asked for explicitly, so a server started without configuration never
// accepts tokens anyone can forge.
func (c Config) CheckServe() error {
	if c.UsesDevelopmentKeys() && !(c.envExplicit && c.Env == "development") {
		return errors.New("JALON_JWT_KEYS / JALON_URL_SIGNING_KEY / JALON_IDENTITY_KEY: not set, and the built-in development keys " +
			"are public; set JALON_ENV=development to run with them on this machine (or run `jalon dev`), " +
			"or set real keys (README, Configuration)")
	}
	return nil
}

// Load reads the configuration from the environment.
func Load() (Config, error) { return LoadFrom(os.Getenv) }

// LoadFrom reads the configuration through getenv (tests pass a map).
func LoadFrom(getenv func(string) string) (Config, error) {
	r := reader{getenv: getenv}
	c := Config{
		Env:             r.str("JALON_ENV", "development"),
		DatabaseURL:     r.str("DATABASE_URL", DefaultDatabaseURL),
		DBMaxConns:      r.integer("JALON_DB_MAX_CONNS", 20),
		LogLevel:        r.str("JALON_LOG_LEVEL", "info"),
		PublicURL:       strings.TrimRight(r.str("JALON_PUBLIC_URL", "http://localhost:8080"), "/"),
		AutoMigrate:     r.boolean("JALON_AUTO_MIGRATE", true),
		ShutdownTimeout: r.duration("JALON_SHUTDOWN_TIMEOUT", 20*time.Second),
		Blob:            r.blob(),
	}
	c.DatabaseListenURL = r.connString("JALON_DATABASE_LISTEN_URL")
	c.databaseURLDefaulted = strings.TrimSpace(getenv("DATABASE_URL")) == ""
	c.envExplicit = strings.TrimSpace(getenv("JALON_ENV")) != ""
	// Development listens on loopback only: its keys are public.
	defaultFormat, defaultAddr := "console", DevelopmentAddr
	if c.Env == "production" {
		defaultFormat, defaultAddr = "json", ":8080"
	}
	c.Addr = r.str("JALON_ADDR", defaultAddr)
	c.LogFormat = r.str("JALON_LOG_FORMAT", defaultFormat)
	c.JWT = JWTConfig{
		Keys:            r.keys("JALON_JWT_KEYS"),
		SigningKeyID:    r.str("JALON_JWT_SIGNING_KEY_ID", ""),
		Issuer:          r.str("JALON_JWT_ISSUER", "jalon"),
		Audience:        r.str("JALON_JWT_AUDIENCE", "jalon-app"),
		AccessTokenTTL:  r.duration("JALON_ACCESS_TOKEN_TTL", 15*time.Minute),
		RefreshTokenTTL: r.duration("JALON_REFRESH_TOKEN_TTL", 30*24*time.Hour),
	}
	c.GraphQL = GraphQLConfig{
		MaxDepth:            r.integer("JALON_GRAPHQL_MAX_DEPTH", 10),
		MaxAliases:          r.integer("JALON_GRAPHQL_MAX_ALIASES", 15),
		MaxComplexity:       r.integer("JALON_GRAPHQL_MAX_COMPLEXITY", 20000),
		MaxTokens:           r.integer("JALON_GRAPHQL_MAX_TOKENS", 5000),
		MaxBodyBytes:        int64(r.integer("JALON_GRAPHQL_MAX_BODY_BYTES", 64<<10)),
		MaxUploadBytes:      int64(r.integer("JALON_UPLOAD_MAX_BYTES", 10<<20)),
		RequestTimeout:      r.duration("JALON_REQUEST_TIMEOUT", 30*time.Second),
		APQCacheSize:        r.integer("JALON_APQ_CACHE_SIZE", 1000),
		SubscriptionRecheck: r.duration("JALON_SUBSCRIPTION_RECHECK_INTERVAL", 30*time.Second),
	}
	// Document limits and the anonymous gate (graph.DocumentLimits, httpserver.Gate).
	c.GraphQL.MaxSelections = r.integer("JALON_GRAPHQL_MAX_SELECTIONS", 400)
	c.GraphQL.MaxSelectionsPerSet = r.integer("JALON_GRAPHQL_MAX_SELECTIONS_PER_SET", 100)
	c.GraphQL.MaxDirectives = r.integer("JALON_GRAPHQL_MAX_DIRECTIVES", 5)
	c.GraphQL.MaxArguments = r.integer("JALON_GRAPHQL_MAX_ARGUMENTS", 50)
	c.GraphQL.MaxErrors = r.integer("JALON_GRAPHQL_MAX_ERRORS", 20)
	c.GraphQL.AnonymousConcurrency = r.integer("JALON_ANONYMOUS_CONCURRENCY", max(1, runtime.NumCPU()/2))
	c.GraphQL.AnonymousQueue = r.integer("JALON_ANONYMOUS_QUEUE", 64)
	c.URLSigning = []byte(r.str("JALON_URL_SIGNING_KEY", DevSigningSecret))
	c.ReviewLinkTTL = r.duration("JALON_REVIEW_LINK_TTL", 7*24*time.Hour)
	c.Firebase = FirebaseConfig{
		CredentialsFile: r.str("FIREBASE_CREDENTIALS_FILE", ""),
		ProjectID:       r.str("JALON_FIREBASE_PROJECT_ID", ""),
		Endpoint:        r.str("JALON_FCM_ENDPOINT", ""),
	}
	c.Mail = MailConfig{
		From:             r.str("JALON_MAIL_FROM", ""),
		DigestScanPeriod: r.duration("JALON_MAIL_DIGEST_INTERVAL", 15*time.Minute),
	}
	if raw := strings.TrimSpace(getenv("JALON_SMTP_URL")); raw != "" {
		smtp, err := ParseSMTPURL(raw)
		if err != nil {
			r.fail("JALON_SMTP_URL", "%v", err)
		}
		c.Mail.SMTP = &smtp
	}
	if c.Mail.SMTP != nil && c.Mail.From == "" && c.Env != "production" {
		c.Mail.From = DevelopmentMailFrom
	}
	c.Worker = WorkerConfig{
		Enabled:                r.boolean("JALON_WORKER", true),
		FollowUpScanPeriod:     r.duration("JALON_FOLLOWUP_SCAN_INTERVAL", 15*time.Minute),
		MarkMissedPeriod:       r.duration("JALON_VISITS_MARK_MISSED_INTERVAL", 15*time.Minute),
		FileSweepPeriod:        r.duration("JALON_LOGBOOK_SWEEP_INTERVAL", 6*time.Hour),
		GuardianMajorityPeriod: r.duration("JALON_GUARDIAN_MAJORITY_INTERVAL", time.Hour),
	}
	c.Identity = IdentityConfig{
		ArgonMemoryKiB:     r.integer("JALON_ARGON2_MEMORY_KIB", 19*1024),
		ArgonTime:          r.integer("JALON_ARGON2_TIME", 2),
		ArgonThreads:       r.integer("JALON_ARGON2_THREADS", 1),
		HashConcurrency:    r.integer("JALON_PASSWORD_HASH_CONCURRENCY", 2),
		LoginMaxPerAccount: r.integer("JALON_LOGIN_MAX_PER_ACCOUNT", 5),
		LoginMaxPerAddress: r.integer("JALON_LOGIN_MAX_PER_ADDRESS", 20),
		LoginWindow:        r.duration("JALON_LOGIN_WINDOW", 15*time.Minute),
		TrustedProxies:     r.prefixes("JALON_TRUSTED_PROXIES"),
		Key:                []byte(r.str("JALON_IDENTITY_KEY", DevSigningSecret)),
		RefreshRetryWindow: r.duration("JALON_REFRESH_RETRY_WINDOW", 10*time.Second),
		InvitationTTL:      r.duration("JALON_INVITATION_TTL", 7*24*time.Hour),
	}
	if getenv("JALON_TRUST_FORWARDED_FOR") != "" {
		r.fail("JALON_TRUST_FORWARDED_FOR", "no longer read: list the proxies' networks in JALON_TRUSTED_PROXIES instead (e.g. 10.0.0.0/8), then unset it")
	}
	c.Retention = RetentionConfig{
		NotificationsDays:  r.integer("JALON_RETENTION_NOTIFICATIONS", 180),
		AuditDays:          r.integer("JALON_RETENTION_AUDIT", 3650),
		EndedContractsDays: r.integer("JALON_RETENTION_ENDED_CONTRACTS", 0),
		ReviewLinksDays:    r.integer("JALON_RETENTION_REVIEW_LINKS", 30),
		Every:              r.duration("JALON_RETENTION_INTERVAL", 6*time.Hour),
	}
	c.Risk = RiskConfig{
		Every:        r.duration("JALON_RISK_INTERVAL", time.Hour),
		RefreshEvery: r.duration("JALON_RISK_REFRESH_INTERVAL", time.Minute),
		DigestEvery:  r.duration("JALON_RISK_DIGEST_INTERVAL", 15*time.Minute),
		WatchAt:      r.integer("JALON_RISK_WATCH_AT", 20),
		HighAt:       r.integer("JALON_RISK_HIGH_AT", 45),
		Weights:      r.str("JALON_RISK_WEIGHTS", ""),
		Thresholds:   r.str("JALON_RISK_THRESHOLDS", ""),
	}
	c.Escalation = EscalationConfig{
		ReviewReminderDays:      r.integer("JALON_FOLLOWUP_REVIEW_REMINDER_DAYS", 7),
		ReviewEscalationDays:    r.integer("JALON_FOLLOWUP_REVIEW_ESCALATION_DAYS", 14),
		SignatureReminderDays:   r.integer("JALON_FOLLOWUP_SIGNATURE_REMINDER_DAYS", 7),
		SignatureEscalationDays: r.integer("JALON_FOLLOWUP_SIGNATURE_ESCALATION_DAYS", 14),
	}
	c.Tours = ToursConfig{
		SpeedKmh:    r.float("JALON_TOUR_SPEED_KMH", 45),
		RoadFactor:  r.float("JALON_TOUR_ROAD_FACTOR", 1.3),
		VisitLength: r.duration("JALON_TOUR_VISIT_LENGTH", 90*time.Minute),
		DayStart:    r.clock("JALON_TOUR_DAY_START", 8*time.Hour+30*time.Minute),
		DayEnd:      r.clock("JALON_TOUR_DAY_END", 17*time.Hour+30*time.Minute),
		RadiusKm:    r.float("JALON_TOUR_RADIUS_KM", 50),
	}
	c.CORSOrigins = r.origins("JALON_CORS_ORIGINS")
	c.HTTP = HTTPConfig{
		ReadHeaderTimeout: r.duration("JALON_HTTP_READ_HEADER_TIMEOUT", 10*time.Second),
		IdleTimeout:       r.duration("JALON_HTTP_IDLE_TIMEOUT", 60*time.Second),
		TransferTimeout:   r.duration("JALON_HTTP_TRANSFER_TIMEOUT", 5*time.Minute),
	}
	c.Websocket = WebsocketConfig{
		InitTimeout:  r.duration("JALON_WS_INIT_TIMEOUT", 5*time.Second),
		PingInterval: r.duration("JALON_WS_PING_INTERVAL", 25*time.Second),
		MaxPerUser:   r.integer("JALON_WS_MAX_PER_USER", 8),
		MaxTotal:     r.integer("JALON_WS_MAX_TOTAL", 5000),
	}
	c.Tracing = r.tracing()
	c.DebugAddr = r.str("JALON_DEBUG_ADDR", "")
	c.SessionCache = SessionCacheConfig{
		Enabled: r.boolean("JALON_SESSION_CACHE", false),
		MaxAge:  r.duration("JALON_SESSION_CACHE_MAX_AGE", time.Minute),
	}
	if r.err != nil {
		return Config{}, r.err
	}
	if len(c.JWT.Keys) == 0 {
		c.JWT.Keys = map[string][]byte{"dev": []byte(DevSigningSecret)}
		if c.JWT.SigningKeyID == "" {
			c.JWT.SigningKeyID = "dev"
		}
	}
	return c, c.validate()
}

func (c Config) validate() error {
	switch {
	case c.Env != "development" && c.Env != "production":
		return errors.New(`JALON_ENV: must be "development" or "production"`)
	case c.LogFormat != "json" && c.LogFormat != "console":
		return errors.New(`JALON_LOG_FORMAT: must be "json" or "console"`)
	case c.DatabaseURL == "":
		return errors.New("DATABASE_URL: required")
	case c.DBMaxConns < 2:
		return errors.New("JALON_DB_MAX_CONNS: at least 2")
	case c.JWT.SigningKeyID == "":
		return errors.New("JALON_JWT_SIGNING_KEY_ID: required when JALON_JWT_KEYS is set")
	case c.JWT.Keys[c.JWT.SigningKeyID] == nil:
		return fmt.Errorf("JALON_JWT_SIGNING_KEY_ID: no key %q in JALON_JWT_KEYS", c.JWT.SigningKeyID)
	case c.GraphQL.MaxDepth < 1, c.GraphQL.MaxAliases < 0, c.GraphQL.MaxComplexity < 1:
		return errors.New("JALON_GRAPHQL_*: limits must be positive")
	case c.GraphQL.MaxSelections < 1, c.GraphQL.MaxSelectionsPerSet < 1, c.GraphQL.MaxDirectives < 1, c.GraphQL.MaxArguments < 1, c.GraphQL.MaxErrors < 1:
		return errors.New("JALON_GRAPHQL_MAX_SELECTIONS*, _DIRECTIVES, _ARGUMENTS, _ERRORS: must be at least 1")
	case c.GraphQL.MaxTokens < 1:
		// 0 would mean "no limit" to gqlparser: refuse it.
		return errors.New("JALON_GRAPHQL_MAX_TOKENS: must be at least 1")
	case c.GraphQL.MaxBodyBytes < 1:
		return errors.New("JALON_GRAPHQL_MAX_BODY_BYTES: must be at least 1")
	case c.GraphQL.MaxUploadBytes < 1:
		return errors.New("JALON_UPLOAD_MAX_BYTES: must be at least 1")
	case c.GraphQL.APQCacheSize < 1:
		return errors.New("JALON_APQ_CACHE_SIZE: must be at least 1")
	case c.GraphQL.AnonymousConcurrency < 1, c.GraphQL.AnonymousQueue < 0:
		return errors.New("JALON_ANONYMOUS_CONCURRENCY: at least 1; JALON_ANONYMOUS_QUEUE: 0 or more")
	case c.Identity.ArgonMemoryKiB < 19*1024 || c.Identity.ArgonTime < 2 || c.Identity.ArgonThreads < 1 || c.Identity.ArgonThreads > 255:
		return errors.New("JALON_ARGON2_*: below OWASP's minimum (m=19456 KiB, t=2, p=1)")
	case c.Identity.HashConcurrency < 1:
		return errors.New("JALON_PASSWORD_HASH_CONCURRENCY: must be at least 1")
	case c.Retention.NotificationsDays < 0 || c.Retention.AuditDays < 0 || c.Retention.EndedContractsDays < 0 || c.Retention.ReviewLinksDays < 0:
		return errors.New("JALON_RETENTION_*: a number of days, 0 (keep forever) or more")
	case c.Identity.LoginMaxPerAccount < 1 || c.Identity.LoginMaxPerAddress < 1:
		return errors.New("JALON_LOGIN_MAX_*: must be at least 1")
	case c.Risk.WatchAt < 1 || c.Risk.HighAt <= c.Risk.WatchAt:
		return errors.New("JALON_RISK_WATCH_AT, JALON_RISK_HIGH_AT: 1 <= WATCH_AT < HIGH_AT")
	case c.Websocket.MaxPerUser < 1:
		return errors.New("JALON_WS_MAX_PER_USER: must be at least 1")
	case c.Websocket.MaxTotal < 1:
		return errors.New("JALON_WS_MAX_TOTAL: must be at least 1")
	case c.Escalation.ReviewReminderDays < 1 || c.Escalation.ReviewEscalationDays <= c.Escalation.ReviewReminderDays:
		return errors.New("JALON_FOLLOWUP_REVIEW_REMINDER_DAYS: at least 1, and JALON_FOLLOWUP_REVIEW_ESCALATION_DAYS later than it")
	case c.Escalation.SignatureReminderDays < 1 || c.Escalation.SignatureEscalationDays <= c.Escalation.SignatureReminderDays:
		return errors.New("JALON_FOLLOWUP_SIGNATURE_REMINDER_DAYS: at least 1, and JALON_FOLLOWUP_SIGNATURE_ESCALATION_DAYS later than it")
	case c.Tours.SpeedKmh < 5 || c.Tours.SpeedKmh > 130:
		return errors.New("JALON_TOUR_SPEED_KMH: an average speed between 5 and 130 km/h")
	case c.Tours.RoadFactor < 1 || c.Tours.RoadFactor > 3:
		return errors.New("JALON_TOUR_ROAD_FACTOR: between 1 (as the crow flies) and 3")
	case c.Tours.VisitLength < 15*time.Minute || c.Tours.VisitLength > 8*time.Hour:
		return errors.New("JALON_TOUR_VISIT_LENGTH: between 15m and 8h")
	case c.Tours.DayEnd <= c.Tours.DayStart:
		return errors.New("JALON_TOUR_DAY_END: later than JALON_TOUR_DAY_START")
	case c.Tours.RadiusKm <= 0:
		return errors.New("JALON_TOUR_RADIUS_KM: a positive number of kilometres")
	case c.SessionCache.MaxAge <= 0:
		return errors.New("JALON_SESSION_CACHE_MAX_AGE: must be positive")
	case c.DebugAddr != "" && !loopback(c.DebugAddr):
		return errors.New("JALON_DEBUG_ADDR: must be a loopback host and port (e.g. 127.0.0.1:6060): profiles reveal the process's memory and code, they are never served to the network")
	}
	for kid, key := range c.JWT.Keys {
		if len(key) < 32 {
			return fmt.Errorf("JALON_JWT_KEYS: key %q is shorter than 32 bytes", kid)
		}
	}
	if len(c.Identity.Key) < 32 {
		return errors.New("JALON_IDENTITY_KEY: shorter than 32 bytes")
	}
	if err := c.Mail.validate(c.Production()); err != nil {
		return err
	}
	if len(c.URLSigning) < 32 {
		return errors.New("JALON_URL_SIGNING_KEY: shorter than 32 bytes")
	}
	if c.Production() {
		for kid, key := range c.JWT.Keys {
			if string(key) == DevSigningSecret {
				return fmt.Errorf("JALON_JWT_KEYS: key %q is the development key; set real keys in production", kid)
			}
		}
		if string(c.Identity.Key) == DevSigningSecret {
			return errors.New("JALON_IDENTITY_KEY: the development key is refused in production")
		}
		if string(c.URLSigning) == DevSigningSecret {
			return errors.New("JALON_URL_SIGNING_KEY: the development key is refused in production")
		}
		if c.databaseURLDefaulted {
			return errors.New("DATABASE_URL: set it explicitly in production")
		}
	}
	return nil
}

// DevelopmentMailFrom is the sender of development mail when JALON_MAIL_FROM
// is unset.
const DevelopmentMailFrom = "Jalon <jalon@localhost>"

// validate checks the sender and, in production, that mail leaves this
// machine encrypted.
func (m MailConfig) validate(production bool) error {
	if m.SMTP == nil {
		return nil
	}
	if m.From == "" {
		return errors.New(`JALON_MAIL_FROM: required when JALON_SMTP_URL is set (e.g. "Jalon <noreply@example.org>")`)
	}
	if _, err := mail.ParseAddress(m.From); err != nil {
		return errors.New(`JALON_MAIL_FROM: not an address such as "Jalon <noreply@example.org>"`)
	}
	if m.SMTP.TLS == NoTLS && production && !m.SMTP.Loopback() {
		return errors.New("JALON_SMTP_URL: tls=none sends mail and passwords in clear: only to a server on this machine in production")
	}
	if m.SMTP.TLS == NoTLS && m.SMTP.Username != "" && !m.SMTP.Loopback() {
		return errors.New("JALON_SMTP_URL: credentials over tls=none are sent only to a server on this machine")
	}
	return nil
}

// loopback reports whether addr is host:port with a loopback host
// (localhost, 127.0.0.0/8, ::1); ":6060" or 0.0.0.0 listen on every
// interface and are not.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// reader collects the first parse error, naming the variable.
type reader struct {
	getenv func(string) string
	err    error
}

func (r *reader) fail(name, format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...))
	}
}

func (r *reader) str(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

// blob reads where files are kept: JALON_BLOB_URL, or JALON_BLOB_DIR (its
// older form, a directory), and the object store's credentials.
func (r *reader) blob() BlobConfig {
	b := BlobConfig{
		URL:             r.str("JALON_BLOB_URL", ""),
		AccessKeyID:     r.str("AWS_ACCESS_KEY_ID", ""),
		SecretAccessKey: r.str("AWS_SECRET_ACCESS_KEY", ""),
		SessionToken:    r.str("AWS_SESSION_TOKEN", ""),
		Redirect:        r.boolean("JALON_BLOB_REDIRECT", false),
	}
	dir := r.str("JALON_BLOB_DIR", "")
	switch {
	case dir != "" && b.URL != "":
		r.fail("JALON_BLOB_DIR", "set JALON_BLOB_URL or JALON_BLOB_DIR (a folder, the same as JALON_BLOB_URL=file:<folder>), not both")
	case dir != "":
		b.URL = FileURL(dir)
	case b.URL == "":
		b.URL = FileURL("data/blobs")
	}
	u, err := url.Parse(b.URL)
	switch {
	case err != nil || (u.Scheme != "file" && u.Scheme != "s3"):
		// Not echoed: a mistyped URL may hold a secret.
		r.fail("JALON_BLOB_URL", "expected file:///path or s3://bucket?endpoint=https://host&region=name")
	case u.User != nil:
		r.fail("JALON_BLOB_URL", "credentials do not belong in the URL (it is logged): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	case u.Scheme == "s3" && (b.AccessKeyID == "" || b.SecretAccessKey == ""):
		r.fail("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are required with an s3:// JALON_BLOB_URL")
	case u.Scheme != "s3" && b.Redirect:
		r.fail("JALON_BLOB_REDIRECT", "redirects go to an object store: set an s3:// JALON_BLOB_URL, or unset JALON_BLOB_REDIRECT")
	}
	return b
}

func (r *reader) integer(name string, def int) int {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.fail(name, "not an integer: %q", v)
	}
	return n
}

func (r *reader) boolean(name string, def bool) bool {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, "not a boolean (true/false)")
	}
	return b
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.fail(name, "not a positive duration such as 15m or 20s")
	}
	return d
}

// connString checks that the variable, when set, is a PostgreSQL
// connection string pgx accepts (URL or key=value). The value is never
// echoed: it may hold a password.
func (r *reader) connString(name string) string {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return ""
	}
	if _, err := pgxpool.ParseConfig(v); err != nil {
		r.fail(name, "not a PostgreSQL connection string pgx accepts (postgres://user@host:5432/db?sslmode=...)")
	}
	return v
}

// tracing reads the standard OpenTelemetry variables that decide whether
// spans are exported, and refuses what the OTLP/HTTP exporter cannot do.
func (r *reader) tracing() TracingConfig {
	endpoint := strings.TrimSpace(r.getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
	name := "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	if endpoint == "" {
		endpoint, name = strings.TrimSpace(r.getenv("OTEL_EXPORTER_OTLP_ENDPOINT")), "OTEL_EXPORTER_OTLP_ENDPOINT"
	}
	disabled, _ := strconv.ParseBool(strings.TrimSpace(r.getenv("OTEL_SDK_DISABLED")))
	switch exporter := strings.TrimSpace(r.getenv("OTEL_TRACES_EXPORTER")); exporter {
	case "", "otlp":
	case "none":
		disabled = true
	default:
		r.fail("OTEL_TRACES_EXPORTER", "%q is not supported: otlp (the default) or none", exporter)
	}
	if endpoint == "" || disabled {
		return TracingConfig{}
	}
	if u, err := url.Parse(endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.fail(name, "%q is not a URL such as http://collector:4318", endpoint)
	}
	for _, p := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if v := strings.TrimSpace(r.getenv(p)); v != "" && v != "http/protobuf" {
			r.fail(p, "%q is not supported: Jalon exports over OTLP/HTTP (http/protobuf, the collector's port 4318)", v)
		}
	}
	return TracingConfig{Enabled: true, Endpoint: endpoint}
}

// float reads a number.
func (r *reader) float(name string, def float64) float64 {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		r.fail(name, "not a number: %q", v)
	}
	return f
}

// clock parses a time of day "HH:MM" into its offset from midnight.
func (r *reader) clock(name string, def time.Duration) time.Duration {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return def
	}
	t, err := time.Parse("15:04", v)
	if err != nil {
		r.fail(name, "not a time of day such as 08:30")
		return def
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
}

// origins parses "https://a.example,https://b.example:8443": exact origins,
// no wildcard, no path (they are compared with the Origin header as is).
func (r *reader) origins(name string) []string {
	var out []string
	for _, o := range strings.Split(r.getenv(name), ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.Path != "" || u.RawQuery != "" || u.User != nil || strings.ContainsAny(o, "*?[") {
			r.fail(name, "%q is not an origin such as https://app.example.org", o)
			return nil
		}
		out = append(out, u.Scheme+"://"+strings.ToLower(u.Host))
	}
	return out
}

// prefixes parses a comma-separated list of networks (CIDR) or single
// addresses.
func (r *reader) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, part := range strings.Split(r.getenv(name), ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			a, aerr := netip.ParseAddr(part)
			if aerr != nil {
				r.fail(name, "%q is neither a network (10.0.0.0/8, fd00::/8) nor an address", part)
				return nil
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out
}

// keys parses "kid1:base64secret,kid2:base64secret". The value is never echoed.
func (r *reader) keys(name string) map[string][]byte {
	v := r.getenv(name)
	if v == "" {
		return nil
	}
	out := map[string][]byte{}
	for _, part := range strings.Split(v, ",") {
		kid, b64, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok || kid == "" {
			r.fail(name, "expected kid:base64secret[,kid:base64secret]")
			return nil
		}
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			r.fail(name, "key %q is not valid base64", kid)
			return nil
		}
		out[kid] = key
	}
	return out
}
