package main

// Every setting of the gateway is one row of the settings table below: its
// flag name, environment variable (PARTNERGRAPH_ + the name in upper case),
// default, help text and how it is parsed into the config. A flag wins over
// the environment. A bad value stops start-up with one line that names the
// setting, e.g. `invalid configuration: --ak (PARTNERGRAPH_AK) is required
// in live mode`.
//
// A YAML file (--config, PARTNERGRAPH_CONFIG) may hold any setting under
// its flag name; the precedence is flag > environment > file > default.
// `partnergraph config check` prints the effective configuration, secrets
// masked.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"partnergraph/edge"
	"partnergraph/gateway"
	"partnergraph/guard/audit"
	"partnergraph/guard/verify"
	"partnergraph/telemetry"
)

// config is everything run reads from flags and the environment.
type config struct {
	mode   string
	listen string

	sandboxListen      string
	sandboxSeed        int64
	sandboxCustomers   int
	sandboxReviewDelay time.Duration
	sandboxTicketDelay time.Duration

	bssEndpoint, iamEndpoint string
	osmEndpoint              string
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

	// Live ticket updates: the poll interval of one account and the
	// subscription limits.
	ticketPollInterval               time.Duration
	ticketSubsPerAccount, ticketSubs int

	// gogc is the GC target percentage run sets (0: leave the runtime's,
	// i.e. the GOGC environment variable's, setting alone).
	gogc int

	// Sensitive mutations: shared stores, code secret, audit log, senders.
	redisURL                   string
	redis                      *sharedRedis  // nil without --redis-url
	redisWaitReplicas          int           // replicas that must acknowledge each idempotency write (0: no WAIT)
	redisWaitTimeout           time.Duration // how long each WAIT waits for them
	verificationSecret         string
	auditLog                   string
	smtpAddr, smtpFrom         string
	smtpUser, smtpPass         string
	webhookURL, webhookSecret  string
	contactEmail, contactPhone string

	// The HTTP edge: request limits, introspection, browsers, rate limits
	// and trusted documents (edgeOptions in stores.go).
	limits           edge.Limits
	introspection    string // "": on in sandbox mode, authenticated in live mode
	corsOrigins      []string
	corsDefault      bool // --cors-origins not set: the mode's default
	corsCredentials  bool
	rateLimit        edge.Rate
	anonRateLimit    edge.Rate
	trustedProxies   []netip.Prefix
	trustedDocuments string
	trustedMode      edge.TrustedMode

	// Operations: telemetry, resilience of upstream calls, shutdown.
	metricsListen   string // "off": no metrics listener
	metricsMaxOps   int
	logFormat       string // "": text in sandbox mode, json in live mode
	logLevel        string
	retries         int
	breakerFailures int
	breakerCooldown time.Duration
	maxInFlight     int
	shutdownTimeout time.Duration
	shutdownDelay   time.Duration
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

func count(dst func(*config) *int, max int) func(*config, string) error {
	return func(c *config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > max {
			return fmt.Errorf("must be an integer between 1 and %d", max)
		}
		*dst(c) = n
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

func limit(dst func(*config) *int) func(*config, string) error {
	return func(c *config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errors.New("must be a whole number (0: no limit)")
		}
		*dst(c) = n
		return nil
	}
}

func rateOf(dst func(*config) *edge.Rate) func(*config, string) error {
	return func(c *config, v string) error {
		r, err := edge.ParseRate(v)
		if err != nil {
			return err
		}
		burst := dst(c).Burst
		*dst(c) = r
		dst(c).Burst = burst
		return nil
	}
}

func burst(dst func(*config) *edge.Rate) func(*config, string) error {
	return func(c *config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return errors.New("must be a whole number ≥ 1")
		}
		dst(c).Burst = n
		return nil
	}
}

// defaultLimit is the default of a limit setting.
func defaultLimit(f func(edge.Limits) int) string { return strconv.Itoa(f(edge.DefaultLimits())) }

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
	{"sandbox-ticket-reply-delay", "30s", "how long the sandbox's simulated engineer takes to answer a ticket", duration(func(c *config) *time.Duration { return &c.sandboxTicketDelay }, false)},
	{"bss-endpoint", "https://bss.myhuaweicloud.com", "BSS endpoint (live mode)", httpURL(func(c *config) *string { return &c.bssEndpoint })},
	{"iam-endpoint", "https://iam.myhuaweicloud.com", "IAM endpoint (live mode)", httpURL(func(c *config) *string { return &c.iamEndpoint })},
	{"osm-endpoint", gateway.DefaultOSMEndpoint, "service-ticket (OSM v2) endpoint (live mode)", httpURL(func(c *config) *string { return &c.osmEndpoint })},
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
	{"ticket-poll-interval", "5s", "how often the gateway polls the upstream for one account's live ticket updates", duration(func(c *config) *time.Duration { return &c.ticketPollInterval }, false)},
	{"ticket-subscriptions-per-account", "20", "live ticket subscriptions one account may hold", count(func(c *config) *int { return &c.ticketSubsPerAccount }, 1000)},
	{"ticket-subscriptions-max", "1000", "live ticket subscriptions the gateway holds in all", count(func(c *config) *int { return &c.ticketSubs }, 1_000_000)},
	{"gogc", "", "GC target percentage, 25-10000 (default " + strconv.Itoa(defaultGOGC) + " unless the GOGC environment variable is set)", nil},
	{"redis-url", "", "Redis shared by every instance (required in live mode): redis://, rediss:// (one server), redis+cluster://host:port,… (Cluster) or redis+sentinel://host:port,…/master (Sentinel)", func(c *config, v string) error {
		if v != "" {
			t, err := parseRedisURL(v)
			if err != nil {
				return err
			}
			c.redis = &sharedRedis{target: t}
		}
		c.redisURL = v
		return nil
	}},
	{"redis-wait-replicas", "0", "Redis replicas that must acknowledge each write of an idempotency key, target lock or claim before it counts (WAIT on the write's connection; 0: off); a write fewer replicas acknowledged fails the mutation closed", func(c *config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 16 {
			return errors.New("must be an integer between 0 and 16")
		}
		c.redisWaitReplicas = n
		return nil
	}},
	{"redis-wait-timeout", "500ms", "how long each WAIT of --redis-wait-replicas waits for the replicas (shorter than the Redis read timeout)", duration(func(c *config) *time.Duration { return &c.redisWaitTimeout }, false)},
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
	{"max-body-bytes", defaultLimit(func(l edge.Limits) int { return l.BodyBytes }), "largest request body; larger ones answer 413 (0: no limit)", limit(func(c *config) *int { return &c.limits.BodyBytes })},
	{"max-document-bytes", defaultLimit(func(l edge.Limits) int { return l.DocumentBytes }), "largest GraphQL document in bytes (0: no limit)", limit(func(c *config) *int { return &c.limits.DocumentBytes })},
	{"max-tokens", defaultLimit(func(l edge.Limits) int { return l.Tokens }), "most lexical tokens in a document, counted before parsing (0: no limit)", limit(func(c *config) *int { return &c.limits.Tokens })},
	{"max-variables-bytes", defaultLimit(func(l edge.Limits) int { return l.VariablesBytes }), "largest JSON of the variables (0: no limit)", limit(func(c *config) *int { return &c.limits.VariablesBytes })},
	{"max-upload-bytes", defaultLimit(func(l edge.Limits) int { return l.UploadBytes }), "largest body and variables of an authenticated caller (ticket attachments travel as base64)", limit(func(c *config) *int { return &c.limits.UploadBytes })},
	{"max-depth", defaultLimit(func(l edge.Limits) int { return l.Depth }), "deepest field nesting, through fragments (0: no limit)", limit(func(c *config) *int { return &c.limits.Depth })},
	{"max-aliases", defaultLimit(func(l edge.Limits) int { return l.Aliases }), "most aliases in an operation, through fragments (0: no limit)", limit(func(c *config) *int { return &c.limits.Aliases })},
	{"max-root-fields", defaultLimit(func(l edge.Limits) int { return l.RootFields }), "most top-level fields in an operation (0: no limit)", limit(func(c *config) *int { return &c.limits.RootFields })},
	{"max-directives", defaultLimit(func(l edge.Limits) int { return l.Directives }), "most directives on one field or fragment (0: no limit)", limit(func(c *config) *int { return &c.limits.Directives })},
	{"max-fields", defaultLimit(func(l edge.Limits) int { return l.Fields }), "most field selections in a document, counted through fragment spreads (0: no limit)", limit(func(c *config) *int { return &c.limits.Fields })},
	{"max-cost", defaultLimit(func(l edge.Limits) int { return l.Cost }), "highest operation cost; a connection costs `first` times its selection (0: no limit)", limit(func(c *config) *int { return &c.limits.Cost })},
	{"introspection", "", "who may introspect the schema: off, authenticated or on (default: on in sandbox mode, authenticated in live mode)", func(c *config, v string) error {
		if v != "" {
			if _, err := edge.ParseIntrospectionPolicy(v); err != nil {
				return err
			}
		}
		c.introspection = v
		return nil
	}},
	{"cors-origins", "", `origins whose pages may call /graphql, comma-separated ("https://*.example.com" allowed; "none"; default: none in live mode, the loopback origins in sandbox mode)`, func(c *config, v string) (err error) {
		c.corsDefault = v == ""
		if v == "" || v == "none" {
			c.corsOrigins = nil
			return nil
		}
		c.corsOrigins, err = edge.ParseOrigins(v)
		return err
	}},
	{"cors-credentials", "false", "let allowed origins send credentials (cookies; the gateway reads none)", func(c *config, v string) (err error) {
		if c.corsCredentials, err = strconv.ParseBool(v); err != nil {
			return errors.New("must be true or false")
		}
		return nil
	}},
	{"rate-limit", "10/s", `requests per principal: N/s, N/m or N/h, or "off" (shared through --redis-url)`, rateOf(func(c *config) *edge.Rate { return &c.rateLimit })},
	{"rate-burst", "100", "requests a principal may send at once", burst(func(c *config) *edge.Rate { return &c.rateLimit })},
	{"anonymous-rate-limit", "2/s", `requests per client address without a valid token: N/s, N/m or N/h, or "off"`, rateOf(func(c *config) *edge.Rate { return &c.anonRateLimit })},
	{"anonymous-rate-burst", "20", "requests an anonymous client address may send at once", burst(func(c *config) *edge.Rate { return &c.anonRateLimit })},
	{"trusted-proxies", "", "load balancers in front of the gateway (CIDRs): the client address is then taken from X-Forwarded-For", func(c *config, v string) (err error) {
		c.trustedProxies, err = edge.ParsePrefixes(v)
		return err
	}},
	{"trusted-documents", "", "manifest of the first-party apps' persisted operations (Apollo persisted-query list, Relay or graphql-codegen JSON)", str(func(c *config) *string { return &c.trustedDocuments })},
	{"trusted-documents-mode", "off", "off, allow (manifest documents may be sent by id) or require (only manifest documents)", func(c *config, v string) error {
		switch m := edge.TrustedMode(v); m {
		case edge.TrustedOff, edge.TrustedAllow, edge.TrustedRequire:
			c.trustedMode = m
			return nil
		}
		return errors.New("must be off, allow or require")
	}},
}

// operationsSettings are the rows of the telemetry, the upstream calls'
// resilience and the shutdown.
var operationsSettings = []setting{
	{"metrics-listen", "127.0.0.1:9090", `address of the Prometheus /metrics listener ("off": none); keep it off the public network`, func(c *config, v string) error {
		if v == "off" {
			c.metricsListen = v
			return nil
		}
		return hostPort(func(c *config) *string { return &c.metricsListen })(c, v)
	}},
	{"metrics-max-operations", strconv.Itoa(telemetry.DefaultOperations), "operation names with a label of their own in the request metrics; anonymous, unknown and later names share \"other\"", func(c *config, v string) (err error) {
		if c.metricsMaxOps, err = strconv.Atoi(v); err != nil || c.metricsMaxOps < 0 || c.metricsMaxOps > 10000 {
			return errors.New("must be a whole number between 0 and 10000")
		}
		return nil
	}},
	{"log-format", "", "json or text (default: text in sandbox mode, json in live mode)", func(c *config, v string) error {
		if v != "" && v != "json" && v != "text" {
			return errors.New("must be json or text")
		}
		c.logFormat = v
		return nil
	}},
	{"log-level", "info", "debug, info, warn or error", func(c *config, v string) error {
		if _, err := telemetry.NewLogger(io.Discard, "json", v); err != nil {
			return errors.New("must be debug, info, warn or error")
		}
		c.logLevel = v
		return nil
	}},
	{"upstream-retries", "2", "retries of an upstream read after a dropped connection, a 5xx or throttling (backoff with jitter, within the request deadline); writes are never retried", func(c *config, v string) (err error) {
		if c.retries, err = strconv.Atoi(v); err != nil || c.retries < 0 || c.retries > 5 {
			return errors.New("must be a whole number between 0 and 5")
		}
		return nil
	}},
	{"upstream-breaker-failures", "10", "consecutive unavailable answers that open an upstream operation's circuit breaker (0: no breaker)", func(c *config, v string) (err error) {
		if c.breakerFailures, err = strconv.Atoi(v); err != nil || c.breakerFailures < 0 {
			return errors.New("must be a whole number (0: no breaker)")
		}
		return nil
	}},
	{"upstream-breaker-cooldown", "10s", "how long an open breaker answers UPSTREAM_UNAVAILABLE before letting trial calls through", duration(func(c *config) *time.Duration { return &c.breakerCooldown }, false)},
	{"upstream-max-in-flight", "64", "upstream calls in flight per partner credential; more wait up to 1 s, then UPSTREAM_UNAVAILABLE (0: no bound)", func(c *config, v string) (err error) {
		if c.maxInFlight, err = strconv.Atoi(v); err != nil || c.maxInFlight < 0 {
			return errors.New("must be a whole number (0: no bound)")
		}
		return nil
	}},
	{"shutdown-timeout", "20s", "on SIGTERM, how long in-flight requests may take to finish before they are cut", duration(func(c *config) *time.Duration { return &c.shutdownTimeout }, false)},
	{"shutdown-delay", "0s", "on SIGTERM, how long the gateway keeps serving with /readyz answering 503 before it stops accepting connections (lets a load balancer take it out first)", duration(func(c *config) *time.Duration { return &c.shutdownDelay }, true)},
}

// configSetting is --config: where the file of settings is. It is read
// first, so it is not a row of the table.
const configSetting = "config"

// secretSettings are masked by `config check`.
var secretSettings = map[string]bool{
	"ak": true, "sk": true, "jwt-hs256-secret": true, "verification-secret": true,
	"smtp-password": true, "sms-webhook-secret": true,
}

func init() { settings = append(settings, operationsSettings...) }

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

// source says where a setting's value came from.
type source string

const (
	fromFlag    source = "flag"
	fromEnv     source = "env"
	fromFile    source = "file"
	fromDefault source = "default"
)

// resolved is a setting's effective value.
type resolved struct {
	name, value string
	from        source
}

// parseConfig reads the settings from flags, then PARTNERGRAPH_*
// environment variables, then the --config file, then defaults, and checks
// them together.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	c, _, err := resolveConfig(args, getenv, stderr)
	return c, err
}

// resolveConfig is parseConfig that also returns where each value came
// from (`config check`).
func resolveConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, []resolved, error) {
	fs := flag.NewFlagSet("partnergraph", flag.ContinueOnError)
	if stderr == nil {
		stderr = io.Discard
	}
	fs.SetOutput(stderr)
	configFile := fs.String(configSetting, "", "YAML file of settings, keyed by flag name (env "+envName(configSetting)+"); flags and environment variables win over it")
	values := make([]*string, len(settings))
	for i, s := range settings {
		values[i] = fs.String(s.name, s.def, s.usage+" (env "+envName(s.name)+")")
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, fmt.Errorf("invalid configuration: %w", err)
	}
	if fs.NArg() > 0 {
		return nil, nil, fmt.Errorf("invalid configuration: unexpected argument %q", fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	path := *configFile
	if !given[configSetting] {
		path = getenv(envName(configSetting))
	}
	var file map[string]string
	if path != "" {
		var err error
		if file, err = readConfigFile(path); err != nil {
			return nil, nil, bad(configSetting, err.Error())
		}
	}
	c := &config{}
	out := make([]resolved, 0, len(settings))
	for i, s := range settings {
		r := resolved{name: s.name, value: *values[i], from: fromFlag}
		if !given[s.name] {
			if e := getenv(envName(s.name)); e != "" {
				r.value, r.from = e, fromEnv
			} else if f, ok := file[s.name]; ok {
				r.value, r.from = f, fromFile
			} else {
				r.from = fromDefault
			}
		}
		out = append(out, r)
		if s.name == "gogc" { // the runtime reads GOGC itself
			g, err := parseGOGC(r.value, getenv("GOGC"))
			if err != nil {
				return nil, nil, bad(s.name, err.Error())
			}
			c.gogc = g
			continue
		}
		if err := s.set(c, r.value); err != nil {
			return nil, nil, bad(s.name, err.Error())
		}
	}
	return c, out, c.check()
}

// readConfigFile reads a YAML mapping of setting names to values: strings,
// numbers, booleans, or lists (joined with commas, e.g. cors-origins). An
// unknown key is an error that names it.
func readConfigFile(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.New("cannot be read: " + err.Error())
	}
	var raw map[string]any
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return nil, errors.New("is not a YAML mapping of settings: " + strings.ReplaceAll(err.Error(), "\n", " "))
	}
	known := map[string]bool{}
	for _, s := range settings {
		known[s.name] = true
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		if !known[k] {
			return nil, fmt.Errorf("%s: unknown setting %q", path, k)
		}
		sv, ok := yamlScalar(v)
		if !ok {
			return nil, fmt.Errorf("%s: %s must be a string, a number, a boolean or a list of them", path, k)
		}
		out[k] = sv
	}
	return out, nil
}

func yamlScalar(v any) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "", true
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case int, int64, uint64, float64:
		return fmt.Sprint(v), true
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			s, ok := yamlScalar(x)
			if !ok {
				return "", false
			}
			parts[i] = s
		}
		return strings.Join(parts, ","), true
	}
	return "", false
}

// masked is how `config check` shows a value: secrets as "****", a Redis
// URL without its password.
func masked(name, value string) string {
	switch {
	case value == "":
		return ""
	case secretSettings[name]:
		return "****"
	case name == "redis-url":
		if u, err := url.Parse(value); err == nil && u.User != nil {
			if _, ok := u.User.Password(); ok {
				u.User = url.UserPassword(u.User.Username(), "****")
				return strings.Replace(u.String(), "%2A%2A%2A%2A", "****", 1)
			}
		}
	}
	return value
}

// runConfigCheck is `partnergraph config check [--config FILE] [flags]`: it
// validates the configuration as start-up would (without starting
// anything) and prints the effective value of every setting, its source
// and the secrets masked.
func runConfigCheck(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	_, values, err := resolveConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "# partnergraph: the configuration is valid; effective values (flag > env > file > default)")
	for _, r := range values {
		fmt.Fprintf(stdout, "%s: %s # %s\n", r.name, strconv.Quote(masked(r.name, r.value)), r.from)
	}
	return nil
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
	if (c.trustedMode == edge.TrustedOff) != (c.trustedDocuments == "") {
		return bad("trusted-documents-mode", "allow or require needs --trusted-documents, and --trusted-documents needs allow or require")
	}
	if c.corsCredentials && slices.Contains(c.corsOrigins, "*") {
		return bad("cors-credentials", `cannot be used with --cors-origins "*"`)
	}
	if (c.obsEndpoint == "") != (c.obsBucket == "") {
		return bad("obs-endpoint", "and --obs-bucket must be set together")
	}
	if c.redisWaitReplicas > 0 {
		if c.redis == nil {
			return bad("redis-wait-replicas", "needs --redis-url (the memory stores have no replicas)")
		}
		// WAIT shares the pipeline's read deadline: past it the reply is
		// lost and the connection dropped.
		if rt := c.redis.target.readTimeout(); rt > 0 && c.redisWaitTimeout >= rt {
			return bad("redis-wait-timeout", fmt.Sprintf("must be shorter than the Redis read timeout (%s, read_timeout in --redis-url)", rt))
		}
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
	ticketDelay time.Duration
}

func parseSandboxConfig(args []string, stderr io.Writer) (*sandboxConfig, error) {
	fs := flag.NewFlagSet("partnergraph sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &sandboxConfig{}
	fs.StringVar(&c.listen, "listen", "127.0.0.1:0", "address the sandbox listens on")
	fs.Int64Var(&c.seed, "seed", 1, "dataset seed: the same seed gives the same data")
	fs.IntVar(&c.customers, "customers", 60, "number of customers (8 to 1000000)")
	fs.DurationVar(&c.reviewDelay, "review-delay", 30*time.Second, "how long a real-name review stays in review")
	fs.DurationVar(&c.ticketDelay, "ticket-reply-delay", 30*time.Second, "how long the simulated engineer takes to answer a ticket")
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
	case c.ticketDelay <= 0:
		return nil, &settingError{"ticket-reply-delay", "", "must be a positive duration"}
	}
	return c, nil
}
