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
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"

	"partnergraph/edge"
	"partnergraph/gateway"
	"partnergraph/identity"
	"partnergraph/resolvers"
	"partnergraph/sandbox"
	"partnergraph/telemetry"
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

// run is the whole program: it reads the configuration, starts the
// sandbox (sandbox mode) and the gateway, and serves until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		args = args[1:]
	}
	if len(args) > 0 && args[0] == "sandbox" {
		return runSandbox(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 1 && args[0] == "config" && args[1] == "check" {
		return runConfigCheck(args[2:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "healthcheck" {
		return runHealthcheck(ctx, args[1:], getenv, stdout)
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

	format := c.logFormat
	if format == "" {
		format = map[string]string{"sandbox": "text", "live": "json"}[c.mode]
	}
	logger, err := telemetry.NewLogger(stderr, format, c.logLevel)
	if err != nil {
		return bad("log-format", err.Error())
	}
	metrics := telemetry.NewMetrics(telemetry.NewOperations(c.metricsMaxOps))
	tracing, err := telemetry.NewTracing(getenv, version())
	if err != nil {
		return fmt.Errorf("invalid configuration: %w", err)
	}
	if tracing.Enabled {
		// the SDK reports failed exports here (process-wide)
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { logger.Warn("trace export", "err", err) }))
	}
	defer func() {
		sctx, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		if err := tracing.Shutdown(sctx); err != nil {
			logger.Warn("flushing the last spans failed", "err", err)
		}
	}()

	authCfg := identity.Config{Issuer: c.jwtIssuer, Audience: c.jwtAudience, JWKSURL: c.jwtJWKSURL, Leeway: c.jwtLeeway, HS256Secret: []byte(c.jwtSecret)}
	if c.jwtPublicKeyFile != "" {
		pem, err := os.ReadFile(c.jwtPublicKeyFile)
		if err != nil {
			return bad("jwt-public-key-file", "cannot be read: "+err.Error())
		}
		authCfg.PublicKeyPEM = pem
	}

	var (
		gwCfg = gateway.Config{Endpoint: c.bssEndpoint, IAMEndpoint: c.iamEndpoint, OSMEndpoint: c.osmEndpoint, CallTimeout: c.upstreamTimeout, Log: logger, Metrics: metrics,
			MaxAttempts: c.retries + 1, BreakerFailures: c.breakerFailures, BreakerCooldown: c.breakerCooldown, MaxInFlight: c.maxInFlight}
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
		sb, err := sandbox.New(sandbox.Options{Seed: c.sandboxSeed, Customers: c.sandboxCustomers, ReviewDelay: c.sandboxReviewDelay,
			TicketReplyDelay: c.sandboxTicketDelay})
		if err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
		ln, err := net.Listen("tcp", c.sandboxListen)
		if err != nil {
			return bad("sandbox-listen", "cannot listen: "+err.Error())
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
		gwCfg.Endpoint, gwCfg.IAMEndpoint, gwCfg.OSMEndpoint = m.Endpoint, m.IAMEndpoint, m.Endpoint
		for _, p := range m.Partners {
			gwCfg.Accounts = append(gwCfg.Accounts, gateway.Account{ID: p.ID, Name: p.Name, Kind: gateway.Kind(p.Kind), ParentID: p.ParentID, AK: p.AK, SK: p.SK, AgencyName: p.AgencyName,
				OBS: gateway.Bucket{Endpoint: p.OBS.Endpoint, Name: p.OBS.Bucket, AK: p.OBS.AK, SK: p.OBS.SK, PathStyle: p.OBS.PathStyle}})
		}
		if len(authCfg.HS256Secret) > 0 {
			tokens, err = demoTokens(m, authCfg)
			if err != nil {
				return err
			}
			prefill = tokens["tier1"]
		}
	} else {
		gwCfg.Accounts = []gateway.Account{{ID: c.partnerID, Kind: gateway.Kind(c.partnerKind), AK: c.ak, SK: c.sk, AgencyName: c.agencyName,
			OBS: gateway.Bucket{Endpoint: c.obsEndpoint, Name: c.obsBucket}}}
	}

	verifier, err := identity.NewVerifier(authCfg)
	if err != nil {
		return bad(jwtKeySetting(c), err.Error())
	}
	defer verifier.Close()
	client, err := gateway.New(gwCfg)
	if err != nil {
		return fmt.Errorf("upstream client: %w", err)
	}
	deps, outbox, closeStores, err := buildGuards(c)
	if err != nil {
		return err
	}
	defer closeStores()
	if c.mode == "live" && (c.contactEmail != "" || c.contactPhone != "") {
		deps.Contacts = map[string]resolvers.Contact{c.partnerID: {Email: c.contactEmail, Phone: c.contactPhone}}
	}
	deps.Upstream, deps.Log = client, logger
	deps.Tickets = resolvers.TicketOptions{PollInterval: c.ticketPollInterval, SubscriptionsPerAccount: c.ticketSubsPerAccount,
		MaxSubscriptions: c.ticketSubs, OnPollError: pollErrorLog(logger)}
	schema, err := resolvers.NewSchema(deps)
	if err != nil {
		return err
	}
	var devOutbox http.Handler
	if outbox != nil {
		devOutbox = outbox.Handler()
	}
	web, closeWeb, err := edgeOptions(c)
	if err != nil {
		return err
	}
	defer closeWeb()
	// draining is set on shutdown: /readyz answers 503 from then on.
	var draining atomic.Bool
	ready := func(ctx context.Context) error {
		if draining.Load() {
			return errors.New("shutting down")
		}
		return client.Ping(ctx)
	}
	web.DevOutbox, web.Schema, web.Verifier, web.Ready = devOutbox, schema, verifier, ready
	web.DevTokens, web.GraphiQLToken, web.RequestTimeout, web.Log = tokens, prefill, c.requestTimeout, stderr
	web.Logger, web.Metrics, web.Tracing = logger, metrics, tracing
	handler := edge.NewHandler(web)

	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		return bad("listen", "cannot listen: "+err.Error())
	}
	// Requests run on serveCtx: a SIGTERM does not cancel them, shutdown
	// drains them (cut after --shutdown-timeout).
	serveCtx, cutRequests := context.WithCancel(context.WithoutCancel(ctx))
	defer cutRequests()
	// A request's body must arrive within the request deadline (a slow
	// sender holds no connection longer); its answer a little after it.
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: c.requestTimeout,
		WriteTimeout: c.requestTimeout + 5*time.Second, IdleTimeout: 2 * time.Minute,
		BaseContext: func(net.Listener) context.Context { return serveCtx }}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	var msrv *http.Server
	metricsURL := "off"
	if c.metricsListen != "off" {
		mln, err := net.Listen("tcp", c.metricsListen)
		if err != nil {
			return bad("metrics-listen", "cannot listen: "+err.Error())
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(metrics.Registry(), promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}))
		msrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: time.Minute}
		go func() {
			if err := msrv.Serve(mln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("metrics: %w", err)
			}
		}()
		defer msrv.Close()
		metricsURL = "http://" + mln.Addr().String() + "/metrics"
	}
	if tracing.Enabled {
		logger.Info("exporting traces over OTLP/HTTP", "endpoint", tracing.Endpoint)
	}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "partnergraph (%s mode) listening on %s\n", c.mode, base)
	fmt.Fprintf(stdout, "  GraphiQL: %s/\n  GraphQL:  %s/graphql\n  metrics:  %s\n", base, base, metricsURL)
	if c.mode == "sandbox" {
		fmt.Fprintf(stdout, "  sandbox:  %s (BSS v2, OSM v2 tickets + IAM emulator)\n", sandboxURL)
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
	return shutdown(srv, &draining, cutRequests, c.shutdownDelay, c.shutdownTimeout, logger)
}

// shutdown drains the gateway: /readyz answers 503 at once and requests
// keep being served for delay (a load balancer takes the instance out),
// then no connection is accepted and the requests in flight get up to
// timeout to finish; those still running then are cut.
func shutdown(srv *http.Server, draining *atomic.Bool, cut context.CancelFunc, delay, timeout time.Duration, log *slog.Logger) error {
	draining.Store(true)
	log.Info("shutting down: draining requests", "delay", delay.String(), "timeout", timeout.String())
	time.Sleep(delay)
	ctx, done := context.WithTimeout(context.Background(), timeout)
	defer done()
	err := srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		log.Warn("shutdown: requests still running after the timeout were cut", "timeout", timeout.String())
		cut()
		return srv.Close()
	}
	log.Info("shutdown: every request finished")
	return err
}

// runHealthcheck is `partnergraph healthcheck [--url URL]`: GET /healthz of
// the gateway this configuration listens on (--listen or
// PARTNERGRAPH_LISTEN; a wildcard host is asked on loopback), for images
// without a shell or curl (the Dockerfile's HEALTHCHECK).
func runHealthcheck(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("partnergraph healthcheck", flag.ContinueOnError)
	listen := getenv(envName("listen"))
	if listen == "" {
		listen = "127.0.0.1:8080"
	}
	u := fs.String("url", "", "URL to GET (default: /healthz of the listen address)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *u == "" {
		host, port, err := net.SplitHostPort(listen)
		if err != nil {
			return bad("listen", "must be host:port")
		}
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			host = "127.0.0.1"
		}
		*u = "http://" + net.JoinHostPort(host, port) + "/healthz"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", *u, resp.Status)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}

// version is the module version the binary was built from.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "devel"
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
	c, err := parseSandboxConfig(args, stderr)
	if err != nil {
		return err
	}
	sb, err := sandbox.New(sandbox.Options{Seed: c.seed, Customers: c.customers, ReviewDelay: c.reviewDelay, TicketReplyDelay: c.ticketDelay})
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	ln, err := net.Listen("tcp", c.listen)
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

// pollErrorLog logs the failed polls of the live ticket updates, one line
// each.
func pollErrorLog(log *slog.Logger) func(gateway.TicketOwner, error) {
	return func(o gateway.TicketOwner, err error) {
		log.Warn("ticket live-update poll failed", "account", o.Scope.Account, "customer", o.Customer, "error", err)
	}
}

// jwtKeySetting is the setting the JWT key came from.
func jwtKeySetting(c *config) string {
	switch {
	case c.jwtJWKSURL != "":
		return "jwt-jwks-url"
	case c.jwtPublicKeyFile != "":
		return "jwt-public-key-file"
	}
	return "jwt-hs256-secret"
}
