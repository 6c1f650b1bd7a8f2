// Command faultgen is the fault load test's driver (bench/fault.sh): it
// drives a gateway in sandbox mode with the dashboard query and the
// mutations that move money or quota (customer funds, child coupon quotas
// for the resellers, coupons for the customers, and their reclaims) from
// concurrent clients while the sandbox injects failures, then checks the
// ledger: every item that answered success is in the upstream's records
// exactly once, none that answered a failure is, the moves that answered
// OUTCOME_UNKNOWN were settled by retrying their key, and money and quota
// are conserved (the partner's funds against its customers' balances; the
// tier-1's quota against its resellers' child quotas and its customers'
// coupons).
//
// Loopback only: it refuses gateway and sandbox URLs that are not.
// Bounded: the load lasts -d, the settling of uncertain moves at most 60 s
// after it.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"
)

const dashboard = `query Dashboard($n:Int){customers(first:$n){edges{node{id name balance{available{amount currency} debt{amount}} newCustomerTag{value}}}}}`

func main() {
	gw := flag.String("gateway", "", "the gateway's base URL (loopback)")
	sb := flag.String("sandbox", "", "the embedded sandbox's base URL (loopback)")
	d := flag.Duration("d", 20*time.Second, "how long the load runs")
	conns := flag.Int("c", 8, "concurrent clients (a quarter of them move money and quota)")
	rate := flag.Float64("rate", 0.20, "share of upstream calls that fail or slow down")
	timeout := flag.Duration("upstream-timeout", 3*time.Second, "the gateway's --upstream-timeout: writes hit by the late-answer fault are answered 0.7 s after it")
	retry := flag.Duration("retry-after", time.Second, "how long a client waits before it first retries a move that answered OUTCOME_UNKNOWN")
	freeport := flag.Bool("freeport", false, "print a free TCP port on 127.0.0.1 and exit (fault.sh's Redis)")
	flag.Parse()
	if *freeport {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, "faultgen:", err)
			os.Exit(1)
		}
		fmt.Println(ln.Addr().(*net.TCPAddr).Port)
		ln.Close()
		return
	}
	if err := run(*gw, *sb, *d, *conns, *rate, *timeout, *retry); err != nil {
		fmt.Fprintln(os.Stderr, "faultgen:", err)
		os.Exit(1)
	}
}

// loopback refuses any address but this machine's.
func loopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not a URL", raw)
	}
	ip := net.ParseIP(u.Hostname())
	if u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("%s is not a loopback address", u.Host)
	}
	return nil
}

type client struct {
	base, token string
	hc          *http.Client
}

// gqlError is one error of an answer.
type gqlError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

type answer struct {
	Data   map[string]any `json:"data"`
	Errors []gqlError     `json:"errors"`
	status int
}

func (e gqlError) code() string {
	c, _ := e.Extensions["code"].(string)
	if c == "" {
		return "NO_CODE"
	}
	return c
}

func (c *client) do(ctx context.Context, query string, vars map[string]any) (answer, error) {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.hc.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		return answer{status: resp.StatusCode}, fmt.Errorf("HTTP %d, not JSON: %.80q", resp.StatusCode, body)
	}
	a.status = resp.StatusCode
	return a, nil
}

// must runs a query that has to succeed (set-up and checks, no faults).
func (c *client) must(query string, vars map[string]any) map[string]any {
	a, err := c.do(context.Background(), query, vars)
	if err != nil || len(a.Errors) > 0 {
		fmt.Fprintf(os.Stderr, "faultgen: %.60s: %v %v\n", query, err, a.Errors)
		os.Exit(1)
	}
	return a.Data
}

func get(hc *http.Client, u string, v any) error {
	resp, err := hc.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

func path(v any, keys ...string) any {
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

var codeRE = regexp.MustCompile(`verification code is ([0-9]+)`)

// writes are the SDK operations the moves make: the late-answer fault hits
// them alone.
var writes = []string{"UpdateCustomerAccountAmount", "ReclaimToPartnerAccount", "UpdateCouponQuotas",
	"ReclaimCouponQuotas", "CreatePartnerCoupons", "ReclaimPartnerCoupons"}

func run(gw, sb string, d time.Duration, conns int, rate float64, upstreamTimeout, retryAfter time.Duration) error {
	for _, u := range []string{gw, sb} {
		if err := loopback(u); err != nil {
			return err
		}
	}
	hc := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var tokens map[string]string
	if err := get(hc, gw+"/dev/tokens", &tokens); err != nil {
		return fmt.Errorf("tokens: %w", err)
	}
	c := &client{base: gw, token: tokens["tier1"], hc: hc}

	// Verification off (itself verified), so the load is not throttled by
	// the code-sending limits.
	in := map[string]any{"setVerificationEnabled": map[string]any{"enabled": false}}
	ch := c.must(`mutation($in:SensitiveInput!){requestVerificationCode(channel:EMAIL,operation:SET_VERIFICATION_ENABLED,input:$in){id}}`, map[string]any{"in": in})
	var outbox any
	if err := get(hc, gw+"/dev/outbox", &outbox); err != nil {
		return err
	}
	ob, _ := json.Marshal(outbox)
	m := codeRE.FindAllStringSubmatch(string(ob), -1)
	if m == nil {
		return errors.New("no code in /dev/outbox")
	}
	c.must(`mutation($v:VerificationInput){setVerificationEnabled(input:{enabled:false},verification:$v){enabled}}`,
		map[string]any{"v": map[string]any{"challengeId": path(ch, "requestVerificationCode", "id"), "code": m[len(m)-1][1]}})

	// What the moves act on: eight RESALE customers, the tier-2 resellers,
	// the tier-1's voucher quota.
	var w world
	for _, e := range path(c.must(`{customers(first:8,filter:{associationType:RESALE}){edges{node{customerId}}}}`, nil), "customers", "edges").([]any) {
		w.customers = append(w.customers, path(e, "node", "customerId").(string))
	}
	for _, e := range path(c.must(`{resellers(first:100){edges{node{resellerId}}}}`, nil), "resellers", "edges").([]any) {
		w.resellers = append(w.resellers, path(e, "node", "resellerId").(string))
	}
	best := decimal.Zero
	for _, e := range path(c.must(`{viewer{partner{couponQuotas(first:100){edges{node{id quotaId quotaType parentQuotaId balance{amount}}}}}}}`, nil), "viewer", "partner", "couponQuotas", "edges").([]any) {
		n := path(e, "node")
		if b := dec(path(n, "balance", "amount")); path(n, "quotaType") == "VOUCHER" && path(n, "parentQuotaId") == nil && b.GreaterThan(best) {
			w.quota, w.quotaNode, best = path(n, "quotaId").(string), path(n, "id").(string), b
		}
	}
	if len(w.customers) == 0 || len(w.resellers) == 0 || w.quota == "" {
		return fmt.Errorf("the sandbox lacks customers (%d), resellers (%d) or a voucher quota (%q)", len(w.customers), len(w.resellers), w.quota)
	}
	before := readSnapshot(c, w)
	start := time.Now().UTC()

	// A write answered after the gateway's upstream timeout but before the
	// SDK's own (the timeout + 1 s) is applied late: the gateway has
	// answered OUTCOME_UNKNOWN by then, and a retry with the key settles it.
	late := upstreamTimeout + 700*time.Millisecond
	var rules []map[string]any
	for _, op := range writes {
		rules = append(rules, map[string]any{"operation": op, "error_rate": rate * 0.05, "latency_ms": late.Milliseconds()})
	}
	rules = append(rules,
		map[string]any{"operation": "*", "error_rate": rate * 0.30, "status": 503, "code": "CBC.0999"},
		map[string]any{"operation": "*", "error_rate": rate * 0.25, "throttle": true},
		map[string]any{"operation": "*", "error_rate": rate * 0.20, "drop": true},
		map[string]any{"operation": "*", "error_rate": rate * 0.10, "drop": true, "after": true},
		map[string]any{"operation": "*", "error_rate": rate * 0.15, "latency_ms": 300},
	)
	if err := setFaults(hc, sb, map[string]any{"faults": rules}); err != nil {
		return err
	}

	var (
		mu             sync.Mutex
		latencies      []time.Duration
		codes          = map[string]int{}
		requests       int
		failedRequests int
		broken         []string
		moves          []*move
	)
	note := func(dur time.Duration, a answer, err error) {
		mu.Lock()
		defer mu.Unlock()
		requests++
		latencies = append(latencies, dur)
		switch {
		case err != nil:
			broken = append(broken, err.Error())
		case a.status >= 500:
			broken = append(broken, "HTTP "+strconv.Itoa(a.status))
		}
		seen := map[string]bool{}
		for _, e := range a.Errors {
			if c := e.code(); !seen[c] {
				seen[c] = true
				codes[c]++
			}
		}
		if len(a.Errors) > 0 {
			failedRequests++
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	pl := newPools()

	// The settler retries the moves that answered OUTCOME_UNKNOWN with
	// their key, as a client would, after the retryAfter the gateway asks
	// for, while the load goes on.
	unknown := make(chan *move, 1024)
	leftover := make(chan []*move)
	go func() {
		var pending []*move
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case mv, ok := <-unknown:
				if !ok {
					leftover <- pending
					return
				}
				mv.next = time.Now().Add(retryAfter)
				pending = append(pending, mv)
			case <-tick.C:
				keep := pending[:0]
				for _, mv := range pending {
					if ctx.Err() != nil || time.Now().Before(mv.next) {
						keep = append(keep, mv)
						continue
					}
					t0 := time.Now()
					a, err := send(c, mv)
					note(time.Since(t0), a, err)
					mv.retries++
					wait := judge(mv, a, err)
					if mv.outcome == "unknown" {
						mv.next = time.Now().Add(max(time.Second, wait))
						keep = append(keep, mv)
						continue
					}
					pl.settled(mv)
				}
				pending = keep
			}
		}
	}()

	var wg sync.WaitGroup
	money := max(1, conns/4)
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), uint64(start.UnixNano())))
			for n := 0; ctx.Err() == nil; n++ {
				t0 := time.Now()
				if i >= money {
					a, err := c.do(context.Background(), dashboard, map[string]any{"n": 100})
					note(time.Since(t0), a, err)
					continue
				}
				mv := nextMove(fmt.Sprintf("fault-%d-%d-%d", start.Unix(), i, n), w, pl, rng)
				mu.Lock()
				moves = append(moves, mv)
				mu.Unlock()
				a, err := send(c, mv)
				note(time.Since(t0), a, err)
				judge(mv, a, err)
				if mv.outcome == "unknown" {
					unknown <- mv
				} else {
					pl.settled(mv)
				}
			}
		}()
	}
	wg.Wait()
	close(unknown)
	<-leftover
	if err := setFaults(hc, sb, map[string]any{"faults": []any{}}); err != nil {
		return err
	}

	// Settle what is still unknown: the same key, no faults.
	deadline := time.Now().Add(60 * time.Second)
	unsettled := 0
	for _, mv := range moves {
		for mv.outcome == "unknown" && time.Now().Before(deadline) {
			a, err := send(c, mv)
			mv.retries++
			judge(mv, a, err)
			if mv.outcome == "unknown" {
				time.Sleep(time.Second)
			}
		}
		if mv.outcome == "unknown" {
			unsettled++
		}
	}

	// Report.
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))]
	}
	type tally struct{ n, ok, failed, unknown, settledOK, settledFailed, reconciled int }
	by := map[string]*tally{}
	var all tally
	for _, f := range fields {
		by[f] = &tally{}
	}
	for _, mv := range moves {
		for _, t := range []*tally{by[mv.field], &all} {
			t.n++
			switch mv.outcome {
			case "ok":
				t.ok++
			case "failed":
				t.failed++
			}
			if mv.wasUnknown {
				t.unknown++
				switch mv.outcome {
				case "ok":
					t.settledOK++
					if mv.reconciled {
						t.reconciled++
					}
				case "failed":
					t.settledFailed++
				}
			}
		}
	}
	fmt.Printf("fault load: %s, %d clients (%d moving money and quota), %.0f %% of upstream calls faulty (503, 429 APIG.0308, dropped, dropped after applying, +300 ms; writes also answered after the %s upstream timeout)\n",
		d, conns, money, rate*100, upstreamTimeout)
	fmt.Printf("requests: %d (%.1f/s)   p50 %s   p99 %s\n", requests, float64(requests)/d.Seconds(), pct(0.50).Round(time.Millisecond), pct(0.99).Round(time.Millisecond))
	fmt.Printf("moves: %d: %d succeeded, %d failed, %d unsettled\n", all.n, all.ok, all.failed, all.n-all.ok-all.failed)
	fmt.Printf("  %-24s %5s %9s %6s %14s\n", "", "moves", "succeeded", "failed", "OUTCOME_UNKNOWN")
	for _, f := range fields {
		t := by[f]
		fmt.Printf("  %-24s %5d %9d %6d %14d\n", f, t.n, t.ok, t.failed, t.unknown)
	}
	itemCodes := map[string]int{}
	for _, mv := range moves {
		for _, it := range mv.items {
			if mv.outcome == "ok" && !it.ok {
				itemCodes[it.code]++
			}
		}
	}
	if len(itemCodes) > 0 {
		names, n := make([]string, 0, len(itemCodes)), 0
		for k, v := range itemCodes {
			names = append(names, fmt.Sprintf("%s %d", k, v))
			n += v
		}
		sort.Strings(names)
		fmt.Printf("  items refused inside answered batches (nothing applied for them): %d (%s)\n", n, strings.Join(names, ", "))
	}
	fmt.Printf("OUTCOME_UNKNOWN (or no answer): %d moves, settled by retrying their key: %d succeeded (%d established from the upstream's records), %d failed, %d unsettled\n",
		all.unknown, all.settledOK, all.reconciled, all.settledFailed, all.unknown-all.settledOK-all.settledFailed)
	fmt.Printf("requests answered with errors: %d (%.1f %%); by code (requests carrying it):\n", failedRequests, 100*float64(failedRequests)/float64(max(requests, 1)))
	keys := make([]string, 0, len(codes))
	for k := range codes {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return codes[keys[i]] > codes[keys[j]] })
	for _, k := range keys {
		fmt.Printf("  %-24s %d\n", k, codes[k])
	}

	problems := ledger(c, w, moves, start, before)
	if codes["NO_CODE"] > 0 {
		problems = append(problems, fmt.Sprintf("%d errors without extensions.code", codes["NO_CODE"]))
	}
	if len(broken) > 0 {
		problems = append(problems, fmt.Sprintf("%d requests without a GraphQL answer, e.g. %s", len(broken), broken[0]))
	}
	if unsettled > 0 {
		problems = append(problems, fmt.Sprintf("%d moves still unknown 60 s after the load", unsettled))
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Println("FAIL:", p)
		}
		return errors.New("the fault load test failed")
	}
	fmt.Println("ledger: OK (every success applied exactly once, no failure applied, money and quota conserved)")
	return nil
}

func setFaults(hc *http.Client, sb string, v any) error {
	b, _ := json.Marshal(v)
	resp, err := hc.Post(sb+"/_sandbox/faults", "application/json", bytes.NewReader(b))
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("faults: %s", resp.Status)
	}
	return nil
}
