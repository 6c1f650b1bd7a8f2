// Command partnergraph is a GraphQL gateway (backend-for-frontend) for the
// Huawei Cloud Partner Sales Platform. `go run .` starts it on an embedded
// sandbox of the upstream; live mode is configuration only.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"partnergraph/edge"
	"partnergraph/gateway"
	"partnergraph/identity"
	"partnergraph/resolvers"
	"partnergraph/sandbox"
)

//go:generate go tool gqlgen generate

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "partnergraph:", err)
		os.Exit(1)
	}
}

// config is everything run reads from flags and the environment.
type config struct {
	mode             string
	listen           string
	sandboxListen    string
	sandboxSeed      int64
	sandboxCustomers int
	// sandboxReviewDelay: how long sandbox real-name reviews take (issue 6).
	sandboxReviewDelay time.Duration

	bssEndpoint, iamEndpoint string
	ak, sk                   string
	partnerID, partnerKind   string
	agencyName               string

	jwtIssuer, jwtAudience string
	jwtSecret              string
	jwtPublicKeyFile       string
	jwtJWKSURL             string
	jwtLeeway              time.Duration

	requestTimeout, upstreamTimeout time.Duration

	// gogc is the GC target percentage run sets (0: leave the runtime's,
	// i.e. the GOGC environment variable's, setting alone).
	gogc int

	// Sensitive mutations (issue 4): safety.go.
	safety safetyConfig
}

// settingError names the setting that is wrong, flag and env var.
type settingError struct{ flag, env, msg string }

func (e *settingError) Error() string {
	if e.env == "" {
		return fmt.Sprintf("invalid configuration: --%s %s", e.flag, e.msg)
	}
	return fmt.Sprintf("invalid configuration: --%s (%s) %s", e.flag, e.env, e.msg)
}

func envName(flagName string) string {
	return "PARTNERGRAPH_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseConfig reads flags, falling back to PARTNERGRAPH_* environment
// variables, and validates them.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("partnergraph", flag.ContinueOnError)
	fs.SetOutput(stderr)
	str := func(dst *string, name, def, usage string) {
		if v := getenv(envName(name)); v != "" {
			def = v
		}
		fs.StringVar(dst, name, def, usage+" (env "+envName(name)+")")
	}
	var seed, customers, leeway, reqTimeout, upTimeout, reviewDelay, gogc string
	str(&c.mode, "mode", "sandbox", "sandbox (embedded emulator, demo tokens) or live")
	str(&c.listen, "listen", "127.0.0.1:8080", "address the gateway listens on")
	str(&c.sandboxListen, "sandbox-listen", "127.0.0.1:0", "address of the embedded sandbox (sandbox mode)")
	str(&seed, "sandbox-seed", "1", "dataset seed of the sandbox")
	str(&customers, "sandbox-customers", "60", "number of customers in the sandbox")
	str(&reviewDelay, "sandbox-review-delay", "30s", "how long a sandbox real-name review takes")
	str(&c.bssEndpoint, "bss-endpoint", "https://bss.myhuaweicloud.com", "BSS endpoint (live mode)")
	str(&c.iamEndpoint, "iam-endpoint", "https://iam.myhuaweicloud.com", "IAM endpoint (live mode)")
	str(&c.ak, "ak", "", "access key of the partner account (live mode)")
	str(&c.sk, "sk", "", "secret key of the partner account (live mode)")
	str(&c.partnerID, "partner-id", "", "domain id of the partner account (live mode)")
	str(&c.partnerKind, "partner-kind", "tier1", "tier1 or provider (live mode)")
	str(&c.agencyName, "agency-name", "", "agency name customers delegated to the partner (live mode)")
	str(&c.jwtIssuer, "jwt-issuer", "partnergraph", "required iss of bearer tokens")
	str(&c.jwtAudience, "jwt-audience", "partnergraph", "required aud of bearer tokens")
	str(&c.jwtSecret, "jwt-hs256-secret", "", "HS256 secret, at least 32 bytes (sandbox: random when empty)")
	str(&c.jwtPublicKeyFile, "jwt-public-key-file", "", "PEM file of the RS256/ES256 public key")
	str(&c.jwtJWKSURL, "jwt-jwks-url", "", "JWKS URL for RS256/ES256 keys")
	str(&leeway, "jwt-leeway", "30s", "clock skew allowed on exp/nbf")
	str(&reqTimeout, "request-timeout", "30s", "deadline of a GraphQL request")
	str(&upTimeout, "upstream-timeout", "10s", "deadline of one upstream call")
	str(&gogc, "gogc", "", "GC target percentage, 25-10000 (default "+strconv.Itoa(defaultGOGC)+" unless the GOGC environment variable is set)")
	safetyFlags(&c.safety, str)
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("invalid configuration: unexpected argument %q", fs.Arg(0))
	}
	bad := func(name, msg string) error { return &settingError{name, envName(name), msg} }
	var err error
	if c.sandboxSeed, err = strconv.ParseInt(seed, 10, 64); err != nil {
		return nil, bad("sandbox-seed", "must be an integer")
	}
	if c.sandboxCustomers, err = strconv.Atoi(customers); err != nil || c.sandboxCustomers < 8 || c.sandboxCustomers > 1_000_000 {
		return nil, bad("sandbox-customers", "must be an integer between 8 and 1000000")
	}
	if c.gogc, err = parseGOGC(gogc, getenv("GOGC")); err != nil {
		return nil, bad("gogc", err.Error())
	}
	durations := map[string]*time.Duration{"jwt-leeway": &c.jwtLeeway, "request-timeout": &c.requestTimeout, "upstream-timeout": &c.upstreamTimeout, "sandbox-review-delay": &c.sandboxReviewDelay}
	for name, v := range map[string]string{"jwt-leeway": leeway, "request-timeout": reqTimeout, "upstream-timeout": upTimeout, "sandbox-review-delay": reviewDelay} {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || (name != "jwt-leeway" && d == 0) {
			return nil, bad(name, "must be a positive duration like 10s")
		}
		*durations[name] = d
	}
	if _, _, err := net.SplitHostPort(c.listen); err != nil {
		return nil, bad("listen", "must be host:port")
	}
	switch c.mode {
	case "sandbox":
		if _, _, err := net.SplitHostPort(c.sandboxListen); err != nil {
			return nil, bad("sandbox-listen", "must be host:port")
		}
	case "live":
		for _, s := range []struct{ name, v string }{{"bss-endpoint", c.bssEndpoint}, {"iam-endpoint", c.iamEndpoint}} {
			if !strings.HasPrefix(s.v, "https://") && !strings.HasPrefix(s.v, "http://") {
				return nil, bad(s.name, "must be an http(s) URL")
			}
		}
		for _, s := range []struct{ name, v string }{{"ak", c.ak}, {"sk", c.sk}, {"partner-id", c.partnerID}} {
			if s.v == "" {
				return nil, bad(s.name, "is required in live mode")
			}
		}
		if c.partnerKind != "tier1" && c.partnerKind != "provider" {
			return nil, bad("partner-kind", "must be tier1 or provider")
		}
		if c.jwtSecret == "" && c.jwtPublicKeyFile == "" && c.jwtJWKSURL == "" {
			return nil, bad("jwt-hs256-secret", "or --jwt-public-key-file or --jwt-jwks-url is required in live mode")
		}
	default:
		return nil, bad("mode", "must be sandbox or live")
	}
	n := 0
	for _, v := range []string{c.jwtSecret, c.jwtPublicKeyFile, c.jwtJWKSURL} {
		if v != "" {
			n++
		}
	}
	if n > 1 {
		return nil, bad("jwt-hs256-secret", "conflicts with --jwt-public-key-file/--jwt-jwks-url: set only one")
	}
	if c.jwtSecret != "" && len(c.jwtSecret) < 32 {
		return nil, bad("jwt-hs256-secret", "must be at least 32 bytes")
	}
	if err := c.safety.validate(c.mode, bad); err != nil {
		return nil, err
	}
	return c, nil
}

// defaultGOGC is the GC target run sets when neither --gogc nor GOGC is
// given. A list page allocates ~1.7 MB of short-lived objects against a
// live heap of a few MB, so the runtime's default of 100 collects every few
// requests; 400 cut the gateway's CPU per customers page by ~20-25 % under
// bench/load.sh, at the price of a heap up to ~5x the live one.
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

// run is the whole program: it reads the configuration, starts the
// sandbox (sandbox mode) and the gateway, and serves until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		args = args[1:]
	}
	if len(args) > 0 && args[0] == "sandbox" {
		return runSandbox(ctx, args[1:], stdout, stderr)
	}
	c, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	if c.gogc > 0 {
		debug.SetGCPercent(c.gogc)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	authCfg := identity.Config{Issuer: c.jwtIssuer, Audience: c.jwtAudience, JWKSURL: c.jwtJWKSURL, Leeway: c.jwtLeeway, HS256Secret: []byte(c.jwtSecret)}
	if c.jwtPublicKeyFile != "" {
		pem, err := os.ReadFile(c.jwtPublicKeyFile)
		if err != nil {
			return &settingError{"jwt-public-key-file", envName("jwt-public-key-file"), "cannot be read: " + err.Error()}
		}
		authCfg.PublicKeyPEM = pem
	}

	var (
		gwCfg      = gateway.Config{Endpoint: c.bssEndpoint, IAMEndpoint: c.iamEndpoint, CallTimeout: c.upstreamTimeout}
		tokens     map[string]string
		prefill    string
		sandboxURL string
		errc       = make(chan error, 2)
	)
	if c.mode == "sandbox" {
		if len(authCfg.HS256Secret) == 0 && authCfg.PublicKeyPEM == nil && authCfg.JWKSURL == "" {
			b := make([]byte, 32)
			_, _ = rand.Read(b)
			authCfg.HS256Secret = []byte(hex.EncodeToString(b))
		}
		sb, err := sandbox.New(sandbox.Options{Seed: c.sandboxSeed, Customers: c.sandboxCustomers, ReviewDelay: c.sandboxReviewDelay})
		if err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
		ln, err := net.Listen("tcp", c.sandboxListen)
		if err != nil {
			return &settingError{"sandbox-listen", envName("sandbox-listen"), "cannot listen: " + err.Error()}
		}
		sandboxURL = "http://" + ln.Addr().String()
		ssrv := &http.Server{Handler: sb.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := ssrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("sandbox: %w", err)
			}
		}()
		defer ssrv.Close()
		m := sb.Manifest(sandboxURL)
		gwCfg.Endpoint, gwCfg.IAMEndpoint = m.Endpoint, m.IAMEndpoint
		for _, p := range m.Partners {
			gwCfg.Accounts = append(gwCfg.Accounts, gateway.Account{ID: p.ID, Name: p.Name, Kind: gateway.Kind(p.Kind), ParentID: p.ParentID, AK: p.AK, SK: p.SK, AgencyName: p.AgencyName})
		}
		if len(authCfg.HS256Secret) > 0 {
			tokens, err = demoTokens(m, authCfg)
			if err != nil {
				return err
			}
			prefill = tokens["tier1"]
		}
	} else {
		gwCfg.Accounts = []gateway.Account{{ID: c.partnerID, Kind: gateway.Kind(c.partnerKind), AK: c.ak, SK: c.sk, AgencyName: c.agencyName}}
	}

	verifier, err := identity.NewVerifier(authCfg)
	if err != nil {
		return &settingError{"jwt-hs256-secret", envName("jwt-hs256-secret"), "(JWT settings): " + err.Error()}
	}
	client, err := gateway.New(gwCfg)
	if err != nil {
		return &settingError{"bss-endpoint", envName("bss-endpoint"), "(upstream settings): " + err.Error()}
	}
	deps, outbox, closeSafety, err := buildSafety(c)
	if err != nil {
		return err
	}
	defer closeSafety()
	if c.mode == "live" && c.partnerID != "" && (c.safety.contactEmail != "" || c.safety.contactPhone != "") {
		deps.Contacts = map[string]resolvers.Contact{c.partnerID: {Email: c.safety.contactEmail, Phone: c.safety.contactPhone}}
	}
	deps.Upstream = client
	schema, err := resolvers.NewSchema(deps)
	if err != nil {
		return err
	}
	var devOutbox http.Handler
	if outbox != nil {
		devOutbox = outbox.Handler()
	}
	handler := edge.NewHandler(edge.Options{
		DevOutbox:      devOutbox,
		Schema:         schema,
		Verifier:       verifier,
		Ready:          client.Ping,
		DevTokens:      tokens,
		GraphiQLToken:  prefill,
		RequestTimeout: c.requestTimeout,
		Log:            stderr,
	})

	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		return &settingError{"listen", envName("listen"), "cannot listen: " + err.Error()}
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "partnergraph (%s mode) listening on %s\n", c.mode, base)
	fmt.Fprintf(stdout, "  GraphiQL: %s/\n  GraphQL:  %s/graphql\n", base, base)
	if c.mode == "sandbox" {
		fmt.Fprintf(stdout, "  sandbox:  %s (BSS v2 + IAM emulator)\n", sandboxURL)
		if tokens != nil {
			fmt.Fprintf(stdout, "  tokens:   %s/dev/tokens\n", base)
			fmt.Fprintf(stdout, "  codes:    %s/dev/outbox (verification codes \"sent\")\n", base)
			for _, k := range []string{"tier1", "reseller", "provider", "customer"} {
				fmt.Fprintf(stdout, "  %-8s  Authorization: Bearer %s\n", k, tokens[k])
			}
		}
	}

	select {
	case <-ctx.Done():
	case err := <-errc:
		cancel()
		return err
	}
	shutdownCtx, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	return srv.Shutdown(shutdownCtx)
}

// demoTokens mints the sandbox's ready-to-use tokens (valid 24h).
func demoTokens(m sandbox.Manifest, cfg identity.Config) (map[string]string, error) {
	var tier1, reseller, provider string
	for _, p := range m.Partners {
		switch {
		case p.Kind == "tier1" && tier1 == "":
			tier1 = p.ID
		case p.Kind == "tier2" && reseller == "":
			reseller = p.ID
		case p.Kind == "provider" && provider == "":
			provider = p.ID
		}
	}
	customer := ""
	for _, cu := range m.Customers {
		if cu.PartnerID == tier1 {
			customer = cu.ID
			break
		}
	}
	// Partners carry verified contact claims: verification codes for
	// sensitive mutations go there (the sandbox's /dev/outbox shows them).
	principals := map[string]identity.Principal{
		"tier1":    {Subject: "demo-tier1", Role: identity.RolePartner, PartnerID: tier1, Email: "tier1@partner.example", Phone: "+8613800000001"},
		"reseller": {Subject: "demo-reseller", Role: identity.RoleReseller, PartnerID: reseller, Email: "reseller@partner.example", Phone: "+8613800000002"},
		"provider": {Subject: "demo-provider", Role: identity.RolePartner, PartnerID: provider, Email: "provider@partner.example", Phone: "+8613800000003"},
		"customer": {Subject: "demo-customer", Role: identity.RoleCustomer, PartnerID: tier1, CustomerID: customer},
	}
	out := map[string]string{}
	for k, p := range principals {
		t, err := identity.Mint(cfg.HS256Secret, cfg.Issuer, cfg.Audience, p, 24*time.Hour)
		if err != nil {
			return nil, err
		}
		out[k] = t
	}
	return out, nil
}

// runSandbox is `partnergraph sandbox`: the upstream emulator alone, for
// clients that talk to it with the SDK directly. It prints exactly one JSON
// line (the manifest: endpoints, demo partners with their AK/SK, a sample
// of customers) and serves until ctx ends.
func runSandbox(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("partnergraph sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "address the sandbox listens on")
	seed := fs.Int64("seed", 1, "dataset seed: the same seed gives the same data")
	customers := fs.Int("customers", 60, "number of customers (8 to 1000000)")
	reviewDelay := fs.Duration("review-delay", 30*time.Second, "how long a real-name review stays in review")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("invalid configuration: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("invalid configuration: unexpected argument %q", fs.Arg(0))
	}
	if *customers < 8 || *customers > 1_000_000 {
		return &settingError{"customers", "", "must be between 8 and 1000000"}
	}
	if *reviewDelay <= 0 {
		return &settingError{"review-delay", "", "must be a positive duration"}
	}
	sb, err := sandbox.New(sandbox.Options{Seed: *seed, Customers: *customers, ReviewDelay: *reviewDelay})
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return &settingError{"listen", "", "cannot listen: " + err.Error()}
	}
	srv := &http.Server{Handler: sb.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	line, err := json.Marshal(sb.Manifest("http://" + ln.Addr().String()))
	if err != nil {
		srv.Close()
		return err
	}
	fmt.Fprintf(stdout, "%s\n", line)
	select {
	case <-ctx.Done():
	case err := <-errc:
		return fmt.Errorf("sandbox: %w", err)
	}
	shutdownCtx, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	return srv.Shutdown(shutdownCtx)
}
