package main

// Every setting of the gateway is one row of the settings table below: its
// flag name, environment variable (PARTNERGRAPH_ + the name in upper case),
// default, help text and how it is parsed into the config. A flag wins over
// the environment. A bad value stops start-up with one line that names the
// setting, e.g. `invalid configuration: --ak (PARTNERGRAPH_AK) is required
// in live mode`.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"partnergraph/guard/audit"
	"partnergraph/guard/verify"
)

// config is everything run reads from flags and the environment.
type config struct {
	mode   string
	listen string

	sandboxListen      string
	sandboxSeed        int64
	sandboxCustomers   int
	sandboxReviewDelay time.Duration

	bssEndpoint, iamEndpoint string
	ak, sk                   string
	partnerID, partnerKind   string
	agencyName               string
	// obsEndpoint and obsBucket are the live partner's OBS bucket for
	// real-name attachments (signed with --ak/--sk).
	obsEndpoint, obsBucket string

	jwtIssuer, jwtAudience string
	jwtSecret              string
	jwtPublicKeyFile       string
	jwtJWKSURL             string
	jwtLeeway              time.Duration

	requestTimeout, upstreamTimeout time.Duration
	// idempotencyLease is how long a crashed holder keeps an idempotency
	// key or a target lock.
	idempotencyLease time.Duration

	// gogc is the GC target percentage run sets (0: leave the runtime's,
	// i.e. the GOGC environment variable's, setting alone).
	gogc int

	// Sensitive mutations: shared stores, code secret, audit log, senders.
	redisURL                   string
	verificationSecret         string
	auditLog                   string
	smtpAddr, smtpFrom         string
	smtpUser, smtpPass         string
	webhookURL, webhookSecret  string
	contactEmail, contactPhone string
}

// setting is one configurable value.
type setting struct {
	name, def, usage string
	// set parses v into c; its error message completes "--name (ENV) …".
	set func(c *config, v string) error
}

func str(dst func(*config) *string) func(*config, string) error {
	return func(c *config, v string) error { *dst(c) = v; return nil }
}

func duration(dst func(*config) *time.Duration, zeroOK bool) func(*config, string) error {
	return func(c *config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || (d == 0 && !zeroOK) {
			return errors.New("must be a positive duration like 10s")
		}
		*dst(c) = d
		return nil
	}
}

func hostPort(dst func(*config) *string) func(*config, string) error {
	return func(c *config, v string) error {
		if _, _, err := net.SplitHostPort(v); err != nil {
			return errors.New("must be host:port")
		}
		*dst(c) = v
		return nil
	}
}

func httpURL(dst func(*config) *string) func(*config, string) error {
	return func(c *config, v string) error {
		if v != "" {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return errors.New("must be an http(s) URL")
			}
		}
		*dst(c) = v
		return nil
	}
}

// settings is every setting of the gateway, in the order -h lists them.
var settings = []setting{
	{"mode", "sandbox", "sandbox (embedded emulator, demo tokens) or live", func(c *config, v string) error {
		if v != "sandbox" && v != "live" {
			return errors.New("must be sandbox or live")
		}
		c.mode = v
		return nil
	}},
	{"listen", "127.0.0.1:8080", "address the gateway listens on", hostPort(func(c *config) *string { return &c.listen })},
	{"sandbox-listen", "127.0.0.1:0", "address of the embedded sandbox (sandbox mode)", hostPort(func(c *config) *string { return &c.sandboxListen })},
	{"sandbox-seed", "1", "dataset seed of the sandbox", func(c *config, v string) (err error) {
		if c.sandboxSeed, err = strconv.ParseInt(v, 10, 64); err != nil {
			return errors.New("must be an integer")
		}
		return nil
	}},
	{"sandbox-customers", "60", "number of customers in the sandbox (8 to 1000000)", func(c *config, v string) (err error) {
		if c.sandboxCustomers, err = strconv.Atoi(v); err != nil || c.sandboxCustomers < 8 || c.sandboxCustomers > 1_000_000 {
			return errors.New("must be an integer between 8 and 1000000")
		}
		return nil
	}},
	{"sandbox-review-delay", "30s", "how long a sandbox real-name review takes", duration(func(c *config) *time.Duration { return &c.sandboxReviewDelay }, false)},
	{"bss-endpoint", "https://bss.myhuaweicloud.com", "BSS endpoint (live mode)", httpURL(func(c *config) *string { return &c.bssEndpoint })},
	{"iam-endpoint", "https://iam.myhuaweicloud.com", "IAM endpoint (live mode)", httpURL(func(c *config) *string { return &c.iamEndpoint })},
	{"ak", "", "access key of the partner account (live mode)", str(func(c *config) *string { return &c.ak })},
	{"sk", "", "secret key of the partner account (live mode)", str(func(c *config) *string { return &c.sk })},
	{"partner-id", "", "domain id of the partner account (live mode)", str(func(c *config) *string { return &c.partnerID })},
	{"partner-kind", "tier1", "tier1 or provider (live mode)", func(c *config, v string) error {
		if v != "tier1" && v != "provider" {
			return errors.New("must be tier1 or provider")
		}
		c.partnerKind = v
		return nil
	}},
	{"agency-name", "", "agency name customers delegated to the partner (live mode)", str(func(c *config) *string { return &c.agencyName })},
	{"obs-endpoint", "", "OBS endpoint of the partner's bucket for real-name attachments, e.g. https://obs.cn-north-4.myhuaweicloud.com (live mode)", httpURL(func(c *config) *string { return &c.obsEndpoint })},
	{"obs-bucket", "", "the partner's OBS bucket for real-name attachments (live mode; uploads go under download/)", func(c *config, v string) error {
		if v != "" && !validBucket(v) {
			return errors.New("must be an OBS bucket name: 3-63 lower-case letters, digits, - and .")
		}
		c.obsBucket = v
		return nil
	}},
	{"jwt-issuer", "partnergraph", "required iss of bearer tokens", str(func(c *config) *string { return &c.jwtIssuer })},
	{"jwt-audience", "partnergraph", "required aud of bearer tokens", str(func(c *config) *string { return &c.jwtAudience })},
	{"jwt-hs256-secret", "", "HS256 secret, at least 32 bytes (sandbox: random when empty)", func(c *config, v string) error {
		if v != "" && len(v) < 32 {
			return errors.New("must be at least 32 bytes")
		}
		c.jwtSecret = v
		return nil
	}},
	{"jwt-public-key-file", "", "PEM file of the RS256/ES256 public key", str(func(c *config) *string { return &c.jwtPublicKeyFile })},
	{"jwt-jwks-url", "", "JWKS URL for RS256/ES256 keys", httpURL(func(c *config) *string { return &c.jwtJWKSURL })},
	{"jwt-leeway", "30s", "clock skew allowed on exp/nbf", duration(func(c *config) *time.Duration { return &c.jwtLeeway }, true)},
	{"request-timeout", "30s", "deadline of a GraphQL request", duration(func(c *config) *time.Duration { return &c.requestTimeout }, false)},
	{"upstream-timeout", "10s", "deadline of one upstream call", duration(func(c *config) *time.Duration { return &c.upstreamTimeout }, false)},
	{"idempotency-lease", "10s", "how long a crashed instance keeps an idempotency key or a target lock (renewed every third of it while it works)", duration(func(c *config) *time.Duration { return &c.idempotencyLease }, false)},
	{"gogc", "", "GC target percentage, 25-10000 (default " + strconv.Itoa(defaultGOGC) + " unless the GOGC environment variable is set)", nil},
	{"redis-url", "", "redis://… for verification codes, idempotency keys and pending registrations (required in live mode)", func(c *config, v string) error {
		if v != "" {
			if _, err := redis.ParseURL(v); err != nil {
				return errors.New("must be a redis:// or rediss:// URL")
			}
		}
		c.redisURL = v
		return nil
	}},
	{"verification-secret", "", "HMAC key of verification codes, at least 32 bytes (required in live mode; sandbox: random)", func(c *config, v string) error {
		if v != "" && len(v) < verify.MinSecretLen {
			return fmt.Errorf("must be at least %d bytes", verify.MinSecretLen)
		}
		c.verificationSecret = v
		return nil
	}},
	{"audit-log", audit.DefaultPath, `audit log file (JSON lines, fsync'd); "off" disables it`, func(c *config, v string) error {
		if v == "" {
			return errors.New(`must be a file path or "off"`)
		}
		c.auditLog = v
		return nil
	}},
	{"smtp-addr", "", "host:port of the mail relay for EMAIL codes", str(func(c *config) *string { return &c.smtpAddr })},
	{"smtp-from", "", "sender address of EMAIL codes", str(func(c *config) *string { return &c.smtpFrom })},
	{"smtp-username", "", "SMTP AUTH user (only over TLS or to localhost)", str(func(c *config) *string { return &c.smtpUser })},
	{"smtp-password", "", "SMTP AUTH password", str(func(c *config) *string { return &c.smtpPass })},
	{"sms-webhook-url", "", "URL the SMS codes are POSTed to (HMAC-signed)", httpURL(func(c *config) *string { return &c.webhookURL })},
	{"sms-webhook-secret", "", "HMAC key of the SMS webhook signature", str(func(c *config) *string { return &c.webhookSecret })},
	{"verification-email", "", "the live partner's e-mail for codes when tokens carry no email claim", str(func(c *config) *string { return &c.contactEmail })},
	{"verification-phone", "", "the live partner's phone for codes when tokens carry no phone_number claim", str(func(c *config) *string { return &c.contactPhone })},
}

// settingError names the setting that is wrong, flag and env var.
type settingError struct{ flag, env, msg string }

func (e *settingError) Error() string {
	if e.env == "" {
		return fmt.Sprintf("invalid configuration: --%s %s", e.flag, e.msg)
	}
	return fmt.Sprintf("invalid configuration: --%s (%s) %s", e.flag, e.env, e.msg)
}

// bad is the error of setting name.
func bad(name, msg string) error { return &settingError{name, envName(name), msg} }

func envName(flagName string) string {
	return "PARTNERGRAPH_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseConfig reads the settings from flags, then PARTNERGRAPH_*
// environment variables, then defaults, and checks them together.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("partnergraph", flag.ContinueOnError)
	if stderr == nil {
		stderr = io.Discard
	}
	fs.SetOutput(stderr)
	values := make([]*string, len(settings))
	for i, s := range settings {
		values[i] = fs.String(s.name, s.def, s.usage+" (env "+envName(s.name)+")")
	}
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("invalid configuration: unexpected argument %q", fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	c := &config{}
	for i, s := range settings {
		v := *values[i]
		if e := getenv(envName(s.name)); !given[s.name] && e != "" {
			v = e
		}
		if s.name == "gogc" { // the runtime reads GOGC itself
			g, err := parseGOGC(v, getenv("GOGC"))
			if err != nil {
				return nil, bad(s.name, err.Error())
			}
			c.gogc = g
			continue
		}
		if err := s.set(c, v); err != nil {
			return nil, bad(s.name, err.Error())
		}
	}
	return c, c.check()
}

// check validates the settings that depend on each other.
func (c *config) check() error {
	n := 0
	for _, v := range []string{c.jwtSecret, c.jwtPublicKeyFile, c.jwtJWKSURL} {
		if v != "" {
			n++
		}
	}
	if n > 1 {
		return bad("jwt-hs256-secret", "conflicts with --jwt-public-key-file/--jwt-jwks-url: set only one")
	}
	if (c.smtpAddr == "") != (c.smtpFrom == "") {
		return bad("smtp-addr", "and --smtp-from must be set together")
	}
	if c.webhookURL != "" && len(c.webhookSecret) < 16 {
		return bad("sms-webhook-secret", "is required with --sms-webhook-url (at least 16 bytes)")
	}
	if (c.obsEndpoint == "") != (c.obsBucket == "") {
		return bad("obs-endpoint", "and --obs-bucket must be set together")
	}
	if c.mode != "live" {
		return nil
	}
	for _, s := range []struct{ name, v string }{{"ak", c.ak}, {"sk", c.sk}, {"partner-id", c.partnerID}} {
		if s.v == "" {
			return bad(s.name, "is required in live mode")
		}
	}
	switch {
	case n == 0:
		return bad("jwt-hs256-secret", "or --jwt-public-key-file or --jwt-jwks-url is required in live mode")
	case c.redisURL == "":
		return bad("redis-url", "is required in live mode (verification codes and idempotency keys must be shared by every instance)")
	case c.verificationSecret == "":
		return bad("verification-secret", "is required in live mode")
	case c.smtpAddr == "" && c.webhookURL == "":
		return bad("smtp-addr", "or --sms-webhook-url is required in live mode (verification codes must be delivered)")
	}
	return nil
}

// validBucket reports whether v is an OBS bucket name.
func validBucket(v string) bool {
	if len(v) < 3 || len(v) > 63 || v[0] == '-' || v[0] == '.' || v[len(v)-1] == '-' || v[len(v)-1] == '.' {
		return false
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// defaultGOGC is the GC target run sets when neither --gogc nor GOGC is
// given. A list page allocates ~1.7 MB of short-lived objects against a
// live heap of a few MB, so the runtime's default of 100 collects every few
// requests; 400 cut the gateway's CPU per customers page by ~20-25 % under
// bench/run.sh, at the price of a heap up to ~5x the live one.
const defaultGOGC = 400

// parseGOGC reads --gogc; empty means defaultGOGC unless the GOGC
// environment variable is set (the runtime has applied it then: 0).
func parseGOGC(flagValue, env string) (int, error) {
	if flagValue == "" {
		if env != "" {
			return 0, nil
		}
		return defaultGOGC, nil
	}
	n, err := strconv.Atoi(flagValue)
	if err != nil || n < 25 || n > 10000 {
		return 0, errors.New("must be an integer between 25 and 10000")
	}
	return n, nil
}

// sandboxConfig is `partnergraph sandbox`'s: the upstream emulator alone.
type sandboxConfig struct {
	listen      string
	seed        int64
	customers   int
	reviewDelay time.Duration
}

func parseSandboxConfig(args []string, stderr io.Writer) (*sandboxConfig, error) {
	fs := flag.NewFlagSet("partnergraph sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &sandboxConfig{}
	fs.StringVar(&c.listen, "listen", "127.0.0.1:0", "address the sandbox listens on")
	fs.Int64Var(&c.seed, "seed", 1, "dataset seed: the same seed gives the same data")
	fs.IntVar(&c.customers, "customers", 60, "number of customers (8 to 1000000)")
	fs.DurationVar(&c.reviewDelay, "review-delay", 30*time.Second, "how long a real-name review stays in review")
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("invalid configuration: unexpected argument %q", fs.Arg(0))
	case c.customers < 8 || c.customers > 1_000_000:
		return nil, &settingError{"customers", "", "must be between 8 and 1000000"}
	case c.reviewDelay <= 0:
		return nil, &settingError{"review-delay", "", "must be a positive duration"}
	}
	return c, nil
}
