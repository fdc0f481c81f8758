package config

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func load(env map[string]string) (Config, error) {
	return LoadFrom(func(k string) string { return env[k] })
}

func TestDefaultsAreDevelopment(t *testing.T) {
	c, err := load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.Env != "development" || c.LogFormat != "console" || c.JWT.SigningKeyID != "dev" {
		t.Fatalf("defaults: %+v", c)
	}
	// Development listens on loopback only; production on every interface.
	if c, _ := load(map[string]string{"JALON_ENV": "production"}); c.Addr != ":8080" {
		t.Fatalf("production default address %q", c.Addr)
	}
}

// Without configuration a process serving requests refuses the public
// development keys: development mode must be asked for.
func TestDevelopmentKeysNeedExplicitDevelopment(t *testing.T) {
	c, err := load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CheckServe(); err == nil || !strings.Contains(err.Error(), "set JALON_ENV=development") {
		t.Fatalf("no JALON_ENV: want the development keys refused, got %v", err)
	}
	c.SetDevelopment() // what `jalon dev` does
	if err := c.CheckServe(); err != nil {
		t.Fatalf("jalon dev: %v", err)
	}
	if c, _ := load(map[string]string{"JALON_ENV": "development"}); c.CheckServe() != nil {
		t.Fatal("JALON_ENV=development: the development keys must be allowed")
	}
	key := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))
	realKeys := map[string]string{"JALON_JWT_KEYS": "a:" + key, "JALON_JWT_SIGNING_KEY_ID": "a", "JALON_URL_SIGNING_KEY": strings.Repeat("u", 32)}
	// The identity key is a development key too: left out, it is refused.
	if c, err := load(realKeys); err != nil || c.CheckServe() == nil {
		t.Fatalf("the development identity key without JALON_ENV: want a refusal, got %v", err)
	}
	realKeys["JALON_IDENTITY_KEY"] = strings.Repeat("i", 32)
	real, err := load(realKeys)
	if err != nil || real.CheckServe() != nil {
		t.Fatalf("real keys without JALON_ENV: %v %v", err, real.CheckServe())
	}
}

func TestBadValuesNameTheVariable(t *testing.T) {
	key := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))
	cases := map[string]map[string]string{
		"JALON_ENV":                   {"JALON_ENV": "staging"},
		"JALON_LOG_FORMAT":            {"JALON_LOG_FORMAT": "xml"},
		"JALON_SHUTDOWN_TIMEOUT":      {"JALON_SHUTDOWN_TIMEOUT": "soon"},
		"JALON_GRAPHQL_MAX_DEPTH":     {"JALON_GRAPHQL_MAX_DEPTH": "ten"},
		"JALON_AUTO_MIGRATE":          {"JALON_AUTO_MIGRATE": "maybe"},
		"JALON_JWT_KEYS":              {"JALON_JWT_KEYS": "nocolon"},
		"JALON_JWT_SIGNING_KEY_ID":    {"JALON_JWT_KEYS": "a:" + key, "JALON_JWT_SIGNING_KEY_ID": "b"},
		"JALON_JWT_KEYS is too short": {"JALON_JWT_KEYS": "a:" + base64.StdEncoding.EncodeToString([]byte("short")), "JALON_JWT_SIGNING_KEY_ID": "a"},
		"JALON_URL_SIGNING_KEY":       {"JALON_URL_SIGNING_KEY": "short"},
		"JALON_HTTP_IDLE_TIMEOUT":     {"JALON_HTTP_IDLE_TIMEOUT": "0s"},
		"JALON_WS_INIT_TIMEOUT":       {"JALON_WS_INIT_TIMEOUT": "soon"},
		"JALON_WS_MAX_PER_USER":       {"JALON_WS_MAX_PER_USER": "0"},
		"JALON_GRAPHQL_MAX_TOKENS":    {"JALON_GRAPHQL_MAX_TOKENS": "0"},
		"JALON_UPLOAD_MAX_BYTES":      {"JALON_UPLOAD_MAX_BYTES": "-1"},
		"JALON_REQUEST_TIMEOUT":       {"JALON_REQUEST_TIMEOUT": "0s"},
		"JALON_TRUSTED_PROXIES":       {"JALON_TRUSTED_PROXIES": "10.0.0.0/8, proxy.internal"},
		"JALON_TRUST_FORWARDED_FOR":   {"JALON_TRUST_FORWARDED_FOR": "true"},
		"JALON_IDENTITY_KEY":          {"JALON_IDENTITY_KEY": "short"},
		"JALON_REFRESH_RETRY_WINDOW":  {"JALON_REFRESH_RETRY_WINDOW": "0s"},
	}
	for name, env := range cases {
		_, err := load(env)
		want := strings.Fields(name)[0]
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: want error naming %s, got %v", name, want, err)
		}
	}
}

func TestProductionRefusesDevelopmentDefaults(t *testing.T) {
	key := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("p", 40)))
	prod := map[string]string{
		"JALON_ENV":                "production",
		"DATABASE_URL":             "postgres://jalon@db.internal/jalon",
		"JALON_JWT_KEYS":           "2026a:" + key,
		"JALON_JWT_SIGNING_KEY_ID": "2026a",
		"JALON_URL_SIGNING_KEY":    strings.Repeat("u", 40),
		"JALON_IDENTITY_KEY":       strings.Repeat("i", 40),
	}
	c, err := load(prod)
	if err != nil {
		t.Fatalf("valid production config refused: %v", err)
	}
	if !c.Production() || c.LogFormat != "json" {
		t.Fatalf("production defaults: %+v", c)
	}
	for _, drop := range []string{"DATABASE_URL", "JALON_JWT_KEYS", "JALON_URL_SIGNING_KEY", "JALON_IDENTITY_KEY"} {
		env := map[string]string{}
		for k, v := range prod {
			env[k] = v
		}
		delete(env, drop)
		if drop == "JALON_JWT_KEYS" {
			delete(env, "JALON_JWT_SIGNING_KEY_ID")
		}
		if _, err := load(env); err == nil || !strings.HasPrefix(err.Error(), drop) {
			t.Errorf("production without %s: want refusal naming it, got %v", drop, err)
		}
	}
	// The error never echoes a key.
	_, err = load(map[string]string{"JALON_JWT_KEYS": "a:" + key, "JALON_JWT_SIGNING_KEY_ID": "zz"})
	if err == nil || strings.Contains(err.Error(), key) {
		t.Fatalf("error must not echo keys: %v", err)
	}
}

// JALON_CORS_ORIGINS holds exact origins: none by default; wildcards, paths
// and other schemes are refused rather than silently never matching.
func TestCORSOrigins(t *testing.T) {
	if c, err := load(nil); err != nil || len(c.CORSOrigins) != 0 {
		t.Fatalf("default origins %v, %v", c.CORSOrigins, err)
	}
	c, err := load(map[string]string{"JALON_CORS_ORIGINS": " https://App.example.org, http://localhost:3000 ,"})
	if err != nil || strings.Join(c.CORSOrigins, " ") != "https://app.example.org http://localhost:3000" {
		t.Fatalf("origins %v, %v", c.CORSOrigins, err)
	}
	for _, bad := range []string{"*", "https://*.example.org", "https://app.example.org/", "app.example.org", "ftp://x.example", "https://"} {
		if _, err := load(map[string]string{"JALON_CORS_ORIGINS": bad}); err == nil || !strings.HasPrefix(err.Error(), "JALON_CORS_ORIGINS") {
			t.Errorf("%q: want an error naming JALON_CORS_ORIGINS, got %v", bad, err)
		}
	}
}

func TestTrustedProxies(t *testing.T) {
	c, err := load(map[string]string{"JALON_TRUSTED_PROXIES": " 10.0.0.0/8, 192.168.1.7 ,fd00::/8,10.1.2.3/16"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range c.Identity.TrustedProxies {
		got = append(got, p.String())
	}
	if strings.Join(got, " ") != "10.0.0.0/8 192.168.1.7/32 fd00::/8 10.1.0.0/16" {
		t.Fatalf("trusted proxies: %v", got)
	}
	// The old switch is refused with a pointer to its replacement.
	_, err = load(map[string]string{"JALON_TRUST_FORWARDED_FOR": "false"})
	if err == nil || !strings.Contains(err.Error(), "JALON_TRUSTED_PROXIES") {
		t.Fatalf("old variable: %v", err)
	}
}

// Every periodic job's period comes from the configuration: today's
// defaults, overridable, and refused unless a positive duration (a zero
// period would enqueue without pause).
func TestJobIntervals(t *testing.T) {
	periods := func(c Config) map[string]time.Duration {
		return map[string]time.Duration{
			"JALON_FOLLOWUP_SCAN_INTERVAL":      c.Worker.FollowUpScanPeriod,
			"JALON_VISITS_MARK_MISSED_INTERVAL": c.Worker.MarkMissedPeriod,
			"JALON_LOGBOOK_SWEEP_INTERVAL":      c.Worker.FileSweepPeriod,
			"JALON_RETENTION_INTERVAL":          c.Retention.Every,
		}
	}
	c, err := load(nil)
	if err != nil {
		t.Fatal(err)
	}
	defaults := map[string]time.Duration{
		"JALON_FOLLOWUP_SCAN_INTERVAL":      15 * time.Minute,
		"JALON_VISITS_MARK_MISSED_INTERVAL": 15 * time.Minute,
		"JALON_LOGBOOK_SWEEP_INTERVAL":      6 * time.Hour,
		"JALON_RETENTION_INTERVAL":          6 * time.Hour,
	}
	for name, got := range periods(c) {
		if got != defaults[name] {
			t.Errorf("%s: default %v, want %v", name, got, defaults[name])
		}
	}
	for name := range defaults {
		c, err := load(map[string]string{name: "90s"})
		if err != nil || periods(c)[name] != 90*time.Second {
			t.Errorf("%s=90s: got %v, %v", name, periods(c)[name], err)
		}
		for _, bad := range []string{"0s", "-5m", "soon"} {
			if _, err := load(map[string]string{name: bad}); err == nil || !strings.HasPrefix(err.Error(), name) {
				t.Errorf("%s=%s: want an error naming it, got %v", name, bad, err)
			}
		}
	}
}

// JALON_SMTP_URL: smtp:// is STARTTLS on 587, smtps:// TLS on 465, tls=none
// plain; credentials in the user part, never shown back; mail is off when
// unset; production wants a sender and encryption to any other machine.
func TestMail(t *testing.T) {
	c, err := load(nil)
	if err != nil || c.Mail.SMTP != nil || c.Mail.DigestScanPeriod != 15*time.Minute {
		t.Fatalf("unset: %+v %v", c.Mail, err)
	}
	for raw, want := range map[string]SMTPConfig{
		"smtp://mail.example.org":                      {Host: "mail.example.org", Port: 587, TLS: STARTTLS},
		"smtps://jalon:p%40ss@mail.example.org":        {Host: "mail.example.org", Port: 465, TLS: ImplicitTLS, Username: "jalon", Password: "p@ss"},
		"smtp://127.0.0.1:1025?tls=none":               {Host: "127.0.0.1", Port: 1025, TLS: NoTLS},
		"smtp://u:secret@[::1]:2525/?tls=none":         {Host: "::1", Port: 2525, TLS: NoTLS, Username: "u", Password: "secret"},
		"smtp://relay.internal:25":                     {Host: "relay.internal", Port: 25, TLS: STARTTLS},
		"smtps://apikey:s3cr3t@smtp.example.org:10465": {Host: "smtp.example.org", Port: 10465, TLS: ImplicitTLS, Username: "apikey", Password: "s3cr3t"},
	} {
		got, err := ParseSMTPURL(raw)
		if err != nil || got != want {
			t.Errorf("%s: %+v %v, want %+v", raw, got, err, want)
		}
		if strings.Contains(got.String(), "secret") || strings.Contains(got.String(), "s3cr3t") {
			t.Errorf("%s: String shows the password: %s", raw, got)
		}
	}
	for _, raw := range []string{"http://mail.example.org", "smtp://", "smtp://h:0", "smtp://h:99999", "smtp://h?tls=maybe",
		"smtps://h?tls=none", "smtp://h?starttls=no", "smtp://h/path"} {
		if _, err := ParseSMTPURL(raw); err == nil {
			t.Errorf("%s: accepted", raw)
		}
	}
	_, err = load(map[string]string{"JALON_SMTP_URL": "smtp://u:hunter2@h:bad"})
	if err == nil || !strings.HasPrefix(err.Error(), "JALON_SMTP_URL: ") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("a bad URL: %v", err)
	}

	dev, err := load(map[string]string{"JALON_SMTP_URL": "smtp://mail.example.org"})
	if err != nil || dev.Mail.From != DevelopmentMailFrom {
		t.Fatalf("development sender: %q %v", dev.Mail.From, err)
	}
	if _, err := load(map[string]string{"JALON_SMTP_URL": "smtp://h", "JALON_MAIL_FROM": "not an address"}); err == nil ||
		!strings.HasPrefix(err.Error(), "JALON_MAIL_FROM: ") {
		t.Fatalf("a bad sender: %v", err)
	}
	if _, err := load(map[string]string{"JALON_SMTP_URL": "smtp://u:p@mail.example.org?tls=none"}); err == nil {
		t.Fatal("credentials in clear to another machine")
	}

	key := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))
	prod := map[string]string{"JALON_ENV": "production", "DATABASE_URL": "postgres://db/jalon",
		"JALON_JWT_KEYS": "a:" + key, "JALON_JWT_SIGNING_KEY_ID": "a", "JALON_URL_SIGNING_KEY": strings.Repeat("u", 32),
		"JALON_IDENTITY_KEY": strings.Repeat("i", 32), "JALON_SMTP_URL": "smtps://mail.example.org"}
	if _, err := load(prod); err == nil || !strings.HasPrefix(err.Error(), "JALON_MAIL_FROM: ") {
		t.Fatalf("production without a sender: %v", err)
	}
	prod["JALON_MAIL_FROM"] = "Jalon <noreply@example.org>"
	if c, err := load(prod); err != nil || c.Mail.SMTP == nil {
		t.Fatalf("production: %v", err)
	}
	prod["JALON_SMTP_URL"] = "smtp://mail.example.org?tls=none"
	if _, err := load(prod); err == nil || !strings.HasPrefix(err.Error(), "JALON_SMTP_URL: ") {
		t.Fatalf("production in clear to another machine: %v", err)
	}
	prod["JALON_SMTP_URL"] = "smtp://127.0.0.1:25?tls=none"
	if _, err := load(prod); err != nil {
		t.Fatalf("production to a relay on this machine: %v", err)
	}
}

// Tracing is off unless an OTLP endpoint is set, follows the standard
// switches that turn it off, and refuses what the OTLP/HTTP exporter
// cannot do rather than sending nothing.
func TestTracingFollowsTheOpenTelemetryVariables(t *testing.T) {
	on := func(env map[string]string) bool {
		t.Helper()
		c, err := load(env)
		if err != nil {
			t.Fatalf("%v: %v", env, err)
		}
		return c.Tracing.Enabled
	}
	if on(nil) {
		t.Fatal("tracing on without an endpoint")
	}
	for _, v := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"} {
		if !on(map[string]string{v: "http://collector:4318"}) {
			t.Errorf("%s set: tracing off", v)
		}
	}
	endpoint := "http://collector:4318"
	for _, off := range []map[string]string{
		{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_SDK_DISABLED": "true"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_TRACES_EXPORTER": "none"},
	} {
		if on(off) {
			t.Errorf("%v: tracing on", off)
		}
	}
	for name, env := range map[string]map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT":        {"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"},
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "ftp://collector"},
		"OTEL_EXPORTER_OTLP_PROTOCOL":        {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
		"OTEL_TRACES_EXPORTER":               {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_TRACES_EXPORTER": "zipkin"},
	} {
		if _, err := load(env); err == nil || !strings.HasPrefix(err.Error(), name) {
			t.Errorf("%v: want an error naming %s, got %v", env, name, err)
		}
	}
}

// Files live where JALON_BLOB_URL says, or JALON_BLOB_DIR (the older name
// of a file: URL), in data/blobs by default; an object store needs the AWS
// credential variables, never credentials in the URL.
func TestBlobStore(t *testing.T) {
	for env, want := range map[string]string{
		"":                                    "file:data/blobs",
		"JALON_BLOB_DIR=/var/lib/jalon/blobs": "file:///var/lib/jalon/blobs",
		"JALON_BLOB_DIR=my blobs":             "file:my%20blobs",
		"JALON_BLOB_URL=file:///srv/blobs":    "file:///srv/blobs",
	} {
		vars := map[string]string{}
		if k, v, ok := strings.Cut(env, "="); ok {
			vars[k] = v
		}
		c, err := load(vars)
		if err != nil || c.Blob.URL != want || c.Blob.S3() {
			t.Errorf("%s: %q %v, want %q", env, c.Blob.URL, err, want)
		}
	}
	s3 := map[string]string{"JALON_BLOB_URL": "s3://files?endpoint=https://s3.example.org&region=eu",
		"AWS_ACCESS_KEY_ID": "AKIA1", "AWS_SECRET_ACCESS_KEY": "sekrit", "AWS_SESSION_TOKEN": "tok", "JALON_BLOB_REDIRECT": "true"}
	c, err := load(s3)
	if err != nil || !c.Blob.S3() || c.Blob.AccessKeyID != "AKIA1" || c.Blob.SecretAccessKey != "sekrit" || c.Blob.SessionToken != "tok" || !c.Blob.Redirect {
		t.Fatalf("s3: %+v %v", c.Blob, err)
	}
	for name, env := range map[string]map[string]string{
		"JALON_BLOB_DIR":      {"JALON_BLOB_DIR": "/x", "JALON_BLOB_URL": "file:///y"},
		"JALON_BLOB_URL":      {"JALON_BLOB_URL": "gs://files?key=sekrit"},
		"AWS_ACCESS_KEY_ID":   {"JALON_BLOB_URL": "s3://files"},
		"JALON_BLOB_REDIRECT": {"JALON_BLOB_REDIRECT": "true"},
	} {
		if _, err := load(env); err == nil || !strings.HasPrefix(err.Error(), name+":") || strings.Contains(err.Error(), "sekrit") {
			t.Errorf("%v: %v, want an error naming %s", env, err, name)
		}
	}
	creds := map[string]string{"JALON_BLOB_URL": "s3://AKIA1:sekrit@files?endpoint=https://h", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}
	if _, err := load(creds); err == nil || !strings.HasPrefix(err.Error(), "JALON_BLOB_URL:") || strings.Contains(err.Error(), "sekrit") {
		t.Errorf("credentials in the URL: %v", err)
	}
}

// and a bad value names its variable.
func TestEscalationAndTours(t *testing.T) {
	c, err := load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Escalation != (EscalationConfig{ReviewReminderDays: 7, ReviewEscalationDays: 14, SignatureReminderDays: 7, SignatureEscalationDays: 14}) {
		t.Fatalf("escalation defaults %+v", c.Escalation)
	}
	if c.Tours != (ToursConfig{SpeedKmh: 45, RoadFactor: 1.3, VisitLength: 90 * time.Minute,
		DayStart: 8*time.Hour + 30*time.Minute, DayEnd: 17*time.Hour + 30*time.Minute, RadiusKm: 50}) {
		t.Fatalf("tour defaults %+v", c.Tours)
	}
	c, err = load(map[string]string{"JALON_FOLLOWUP_REVIEW_REMINDER_DAYS": "3", "JALON_FOLLOWUP_REVIEW_ESCALATION_DAYS": "10",
		"JALON_TOUR_SPEED_KMH": "60.5", "JALON_TOUR_DAY_START": "07:45", "JALON_TOUR_VISIT_LENGTH": "1h"})
	if err != nil || c.Escalation.ReviewReminderDays != 3 || c.Escalation.ReviewEscalationDays != 10 || c.Tours.SpeedKmh != 60.5 ||
		c.Tours.DayStart != 7*time.Hour+45*time.Minute || c.Tours.VisitLength != time.Hour {
		t.Fatalf("overrides: %+v %+v %v", c.Escalation, c.Tours, err)
	}
	for name, bad := range map[string]string{
		"JALON_FOLLOWUP_REVIEW_REMINDER_DAYS":    "0",
		"JALON_FOLLOWUP_REVIEW_ESCALATION_DAYS":  "7", // not later than the reminder
		"JALON_FOLLOWUP_SIGNATURE_REMINDER_DAYS": "soon",
		"JALON_TOUR_SPEED_KMH":                   "fast",
		"JALON_TOUR_ROAD_FACTOR":                 "0.5",
		"JALON_TOUR_DAY_START":                   "25:00",
		"JALON_TOUR_RADIUS_KM":                   "-1",
	} {
		_, err := load(map[string]string{name: bad})
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: want an error naming it, got %v", name, bad, err)
		}
	}
}
