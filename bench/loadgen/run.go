package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// stack is one sandbox and the gateway in front of it, started by run.sh.
type stack struct {
	customers    int
	manifestPath string
	gateway      string // base URL
	gatewayPID   int
	sandboxPID   int
	metrics      string // the gateway's Prometheus endpoint; "" when it has none

	manifest *manifest
	tier1    partner
	token    string // tier-1 partner
}

func (s *stack) graphql() string { return s.gateway + "/graphql" }
func (s *stack) sandbox() string { return s.manifest.Endpoint }

// stackFlags collects -stack key=value,… flags.
type stackFlags []*stack

func (f *stackFlags) String() string { return fmt.Sprint(len(*f), " stacks") }

func (f *stackFlags) Set(v string) error {
	s := &stack{}
	for _, kv := range strings.Split(v, ",") {
		k, val, _ := strings.Cut(kv, "=")
		var err error
		switch k {
		case "customers":
			s.customers, err = strconv.Atoi(val)
		case "manifest":
			s.manifestPath = val
		case "gateway":
			s.gateway = val
		case "gateway-pid":
			s.gatewayPID, err = strconv.Atoi(val)
		case "sandbox-pid":
			s.sandboxPID, err = strconv.Atoi(val)
		case "metrics":
			s.metrics = val
		default:
			return fmt.Errorf("unknown key %q", k)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	if s.customers <= 0 || s.manifestPath == "" || s.gateway == "" || s.gatewayPID <= 0 || s.sandboxPID <= 0 {
		return errors.New("customers, manifest, gateway, gateway-pid and sandbox-pid are required")
	}
	*f = append(*f, s)
	return nil
}

// bench is one run: its settings and the rows measured so far.
type bench struct {
	dur, warmup time.Duration
	conns       int
	latencyMs   int
	clkTck      int
	workloads   map[string]bool
	jwtSecret   []byte
	codes       *codeReceiver

	static         *staticServer // the ceiling row's server while it runs
	peakSinceStart bool          // VmHWM could not be reset before a row
	rows           []row
}

func runCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var stacks stackFlags
	fs.Var(&stacks, "stack", "customers=N,manifest=FILE,gateway=URL,gateway-pid=PID,sandbox-pid=PID[,metrics=URL]; repeat: the first stack runs every workload, the others W5 only")
	dur := fs.Duration("d", 10*time.Second, "measured duration of a row")
	conns := fs.Int("c", 32, "connections of the throughput rows")
	latency := fs.Int("l", 1, "latency in ms added to every upstream call")
	wl := fs.String("w", "W1,W2,W3,W4,W5", "workloads")
	webhook := fs.String("webhook", "", "host:port of the SMS webhook receiver the gateways post codes to (W4)")
	clkTck := fs.Int("clk-tck", 100, "clock ticks per second of /proc/<pid>/stat (getconf CLK_TCK)")
	jsonPath := fs.String("json", "", "file the JSON summary is written to")
	commit := fs.String("commit", "", "the code measured, for the summary")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case len(stacks) == 0:
		return errors.New("at least one -stack is required")
	case *dur <= 0 || *conns < 1 || *latency < 0 || *clkTck < 1:
		return errors.New("-d, -c and -clk-tck must be positive, -l at least 0")
	case *jsonPath == "":
		return errors.New("-json is required")
	}
	b := &bench{dur: *dur, warmup: min(2*time.Second, *dur/5), conns: *conns, latencyMs: *latency, clkTck: *clkTck, workloads: map[string]bool{}}
	for _, w := range strings.Split(*wl, ",") {
		w = strings.ToUpper(strings.TrimSpace(w))
		if !slices.Contains([]string{"W1", "W2", "W3", "W4", "W5"}, w) {
			return fmt.Errorf("-w: unknown workload %q (W1 to W5)", w)
		}
		b.workloads[w] = true
	}
	if b.jwtSecret = []byte(os.Getenv("BENCH_JWT_SECRET")); len(b.jwtSecret) < 32 {
		return errors.New("BENCH_JWT_SECRET (the gateways' HS256 secret) must hold at least 32 bytes")
	}
	if b.workloads["W4"] {
		secret := []byte(os.Getenv("BENCH_WEBHOOK_SECRET"))
		if len(secret) < 16 || *webhook == "" {
			return errors.New("W4 needs -webhook and BENCH_WEBHOOK_SECRET (at least 16 bytes)")
		}
		var err error
		if b.codes, err = startReceiver(*webhook, secret); err != nil {
			return err
		}
		defer b.codes.close()
	}
	defer b.stopStatic()

	started := time.Now()
	for _, s := range stacks {
		if err := b.connect(ctx, s); err != nil {
			return interrupted(ctx, fmt.Errorf("%s stack: %w", sizeLabel(s.customers), err))
		}
	}
	fmt.Printf("partnergraph bench %s: upstream +%d ms per call, rows of %s after %s warm-up, %d connections, CLK_TCK %d\n",
		*commit, b.latencyMs, b.dur, b.warmup, b.conns, b.clkTck)
	if stacks[0].metrics == "" {
		fmt.Println("the gateway has no --metrics-listen: KB/req and allocs/req are n/a")
	}
	fmt.Println()
	printHeader()
	for i, s := range stacks {
		specs, err := b.plan(ctx, s, i == 0)
		if err != nil {
			return interrupted(ctx, fmt.Errorf("%s stack: %w", sizeLabel(s.customers), err))
		}
		for _, sp := range specs {
			r, err := b.measure(ctx, sp)
			if err == nil {
				err = ctx.Err()
			}
			if err != nil {
				return interrupted(ctx, fmt.Errorf("%s: %w", sp.name, err))
			}
			printRow(r)
			b.rows = append(b.rows, r)
		}
	}
	b.printNotes()
	return b.writeJSON(*jsonPath, started, *commit)
}

// interrupted replaces err by a plain message when the run was stopped.
func interrupted(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return errors.New("interrupted")
	}
	return err
}

func (b *bench) stopStatic() {
	if b.static != nil {
		b.static.stop()
		b.static = nil
	}
}

// connect reads the stack's manifest, sets the upstream latency and mints
// the tier-1 token.
func (b *bench) connect(ctx context.Context, s *stack) error {
	var err error
	if s.manifest, err = readManifest(s.manifestPath); err != nil {
		return err
	}
	if s.tier1, err = s.manifest.tier1(); err != nil {
		return err
	}
	s.token = mint(b.jwtSecret, claims{Subject: "bench-tier1", Role: "partner", PartnerID: s.tier1.ID})
	faults := `{"faults":[]}`
	if b.latencyMs > 0 {
		faults = fmt.Sprintf(`{"faults":[{"operation":"*","latency_ms":%d}]}`, b.latencyMs)
	}
	return sandboxCall(ctx, http.MethodPost, s.sandbox()+"/_sandbox/faults", faults, nil)
}

// sandboxCall calls one of the sandbox's /_sandbox endpoints.
func sandboxCall(ctx context.Context, method, url, body string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s", method, url, resp.Status)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// upstreamCalls is GET /_sandbox/stats: calls per operation since the last reset.
func upstreamCalls(ctx context.Context, s *stack) (map[string]int64, error) {
	var st struct{ Calls map[string]int64 }
	err := sandboxCall(ctx, http.MethodGet, s.sandbox()+"/_sandbox/stats", "", &st)
	return st.Calls, err
}
