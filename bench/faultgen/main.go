// Command faultgen is the fault load test's driver (bench/fault.sh): it
// drives a gateway in sandbox mode with the dashboard query and money
// mutations from concurrent clients while the sandbox injects failures,
// then checks the ledger: every money mutation that answered success was
// applied exactly once, none that answered a failure was applied, and
// money is conserved between the partner and its customers.
//
// Loopback only: it refuses gateway and sandbox URLs that are not.
// Bounded: the load lasts -d, the settling of uncertain moves at most 60 s.
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
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"
)

const (
	dashboard = `query Dashboard($n:Int){customers(first:$n){edges{node{id name balance{available{amount currency} debt{amount}} newCustomerTag{value}}}}}`
	moveDoc   = `mutation Move%s($in:CustomerFundsInput!,$k:String!){%s(input:$in,idempotencyKey:$k){transferId reconciled}}`
)

func main() {
	gw := flag.String("gateway", "", "the gateway's base URL (loopback)")
	sb := flag.String("sandbox", "", "the embedded sandbox's base URL (loopback)")
	d := flag.Duration("d", 20*time.Second, "how long the load runs")
	conns := flag.Int("c", 8, "concurrent clients (a quarter of them move money)")
	rate := flag.Float64("rate", 0.20, "share of upstream calls that fail or slow down")
	flag.Parse()
	if err := run(*gw, *sb, *d, *conns, *rate); err != nil {
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

// move is one money mutation and what it answered.
type move struct {
	key, field, customer string
	amount               decimal.Decimal
	outcome              string // ok, failed (with code), unknown
	code                 string
	transfer             string
}

var codeRE = regexp.MustCompile(`verification code is ([0-9]+)`)

func run(gw, sb string, d time.Duration, conns int, rate float64) error {
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

	customers := []string{}
	for _, e := range path(c.must(`{customers(first:8,filter:{associationType:RESALE}){edges{node{customerId}}}}`, nil), "customers", "edges").([]any) {
		customers = append(customers, path(e, "node", "customerId").(string))
	}
	before, partnerBefore := balances(c, customers)
	start := time.Now().UTC()

	faults := map[string]any{"faults": []map[string]any{
		{"operation": "*", "error_rate": rate * 0.30, "status": 503, "code": "CBC.0999"},
		{"operation": "*", "error_rate": rate * 0.25, "throttle": true},
		{"operation": "*", "error_rate": rate * 0.20, "drop": true},
		{"operation": "*", "error_rate": rate * 0.10, "drop": true, "after": true},
		{"operation": "*", "error_rate": rate * 0.15, "latency_ms": 300},
	}}
	if err := setFaults(hc, sb, faults); err != nil {
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
	var wg sync.WaitGroup
	money := max(1, conns/4)
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano())))
			for n := 0; ctx.Err() == nil; n++ {
				t0 := time.Now()
				if w >= money {
					a, err := c.do(context.Background(), dashboard, map[string]any{"n": 100})
					note(time.Since(t0), a, err)
					continue
				}
				mv := &move{key: fmt.Sprintf("fault-%d-%d-%d", start.Unix(), w, n), field: "allocateCustomerFunds",
					customer: customers[rng.IntN(len(customers))], amount: decimal.New(int64(1+rng.IntN(300)), -2)}
				if rng.IntN(10) < 3 {
					mv.field = "reclaimCustomerFunds"
				}
				a, err := send(c, mv)
				note(time.Since(t0), a, err)
				judge(mv, a, err)
				mu.Lock()
				moves = append(moves, mv)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := setFaults(hc, sb, map[string]any{"faults": []any{}}); err != nil {
		return err
	}

	// Settle every move whose outcome was unknown: the same key, no faults.
	deadline := time.Now().Add(60 * time.Second)
	unsettled := 0
	for _, mv := range moves {
		for mv.outcome == "unknown" && time.Now().Before(deadline) {
			a, err := send(c, mv)
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
	ok, failed, settled := 0, 0, 0
	for _, mv := range moves {
		switch mv.outcome {
		case "ok":
			ok++
		case "failed":
			failed++
		}
		if mv.code == "settled" {
			settled++
		}
	}
	fmt.Printf("fault load: %s, %d clients (%d moving money), %.0f %% of upstream calls faulty (503, 429 APIG.0308, dropped, dropped after applying, +300 ms)\n",
		d, conns, money, rate*100)
	fmt.Printf("requests: %d (%.1f/s)   p50 %s   p99 %s\n", requests, float64(requests)/d.Seconds(), pct(0.50).Round(time.Millisecond), pct(0.99).Round(time.Millisecond))
	fmt.Printf("money mutations: %d: %d applied (%d of them settled after OUTCOME_UNKNOWN), %d failed, %d unsettled\n", len(moves), ok, settled, failed, unsettled)
	fmt.Printf("requests answered with errors: %d (%.1f %%); by code (requests carrying it):\n", failedRequests, 100*float64(failedRequests)/float64(max(requests, 1)))
	keys := make([]string, 0, len(codes))
	for k := range codes {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return codes[keys[i]] > codes[keys[j]] })
	for _, k := range keys {
		fmt.Printf("  %-24s %d\n", k, codes[k])
	}

	problems := ledger(c, customers, moves, start, before, partnerBefore)
	if codes["NO_CODE"] > 0 {
		problems = append(problems, fmt.Sprintf("%d errors without extensions.code", codes["NO_CODE"]))
	}
	if len(broken) > 0 {
		problems = append(problems, fmt.Sprintf("%d requests without a GraphQL answer, e.g. %s", len(broken), broken[0]))
	}
	if unsettled > 0 {
		problems = append(problems, fmt.Sprintf("%d moves still unknown after 60 s", unsettled))
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Println("FAIL:", p)
		}
		return errors.New("the fault load test failed")
	}
	fmt.Println("ledger: OK (every success applied exactly once, no failure applied, money conserved)")
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

func send(c *client, mv *move) (answer, error) {
	name := strings.ToUpper(mv.field[:1]) + mv.field[1:]
	return c.do(context.Background(), fmt.Sprintf(moveDoc, name, mv.field), map[string]any{
		"in": map[string]any{"customerId": mv.customer, "amount": mv.amount.StringFixed(2)}, "k": mv.key})
}

// judge sorts a move's answer: ok (a transfer id), unknown (it may have
// been applied: settle it with the same key), or failed (nothing applied).
func judge(mv *move, a answer, err error) {
	wasUnknown := mv.outcome == "unknown"
	switch {
	case err != nil || a.status >= 500:
		mv.outcome = "unknown" // no answer: as uncertain as a lost reply
	case len(a.Errors) == 0:
		mv.outcome = "ok"
		mv.transfer, _ = path(a.Data, mv.field, "transferId").(string)
		if wasUnknown {
			mv.code = "settled"
		}
	default:
		c := a.Errors[0].code()
		switch c {
		case "OUTCOME_UNKNOWN":
			mv.outcome = "unknown"
		case "IDEMPOTENCY_IN_PROGRESS":
			if !wasUnknown {
				mv.outcome, mv.code = "failed", c // a busy target: nothing was sent
			}
		default:
			mv.outcome, mv.code = "failed", c
		}
	}
}

// balances reads the customers' available balances and the partner's funds.
func balances(c *client, customers []string) (map[string]decimal.Decimal, decimal.Decimal) {
	out := map[string]decimal.Decimal{}
	data := c.must(`{customers(first:100,filter:{associationType:RESALE}){edges{node{customerId balance{available{amount}}}}}}`, nil)
	for _, e := range path(data, "customers", "edges").([]any) {
		id := path(e, "node", "customerId").(string)
		if slices.Contains(customers, id) {
			amt, _ := path(e, "node", "balance", "available", "amount").(string)
			out[id], _ = decimal.NewFromString(amt)
		}
	}
	partner := decimal.Zero
	for _, f := range path(c.must(`{viewer{partner{funds{accountType amount{amount}}}}}`, nil), "viewer", "partner", "funds").([]any) {
		v, _ := decimal.NewFromString(path(f, "amount", "amount").(string))
		partner = partner.Add(v)
	}
	return out, partner
}

// ledger checks the upstream's records and balances against the answers.
func ledger(c *client, customers []string, moves []*move, start time.Time, before map[string]decimal.Decimal, partnerBefore decimal.Decimal) []string {
	var problems []string
	records := map[string]int{} // transfer id → records of it since the start
	for _, cu := range customers {
		after := ""
	pages:
		for range 200 {
			vars := map[string]any{"c": cu}
			if after != "" {
				vars["a"] = after
			}
			data := c.must(`query($c:String,$a:String){viewer{partner{adjustRecords(customerId:$c,first:100,after:$a){pageInfo{hasNextPage endCursor} edges{node{transId operationTime}}}}}}`, vars)
			conn := path(data, "viewer", "partner", "adjustRecords")
			for _, e := range path(conn, "edges").([]any) {
				t, err := time.Parse(time.RFC3339, path(e, "node", "operationTime").(string))
				if err == nil && t.Before(start.Add(-5*time.Second)) {
					continue
				}
				records[path(e, "node", "transId").(string)]++
			}
			if path(conn, "pageInfo", "hasNextPage") != true {
				break pages
			}
			after = path(conn, "pageInfo", "endCursor").(string)
		}
	}
	want := map[string]decimal.Decimal{}
	claimed := map[string]bool{}
	for _, mv := range moves {
		if mv.outcome != "ok" {
			continue
		}
		if records[mv.transfer] != 1 {
			problems = append(problems, fmt.Sprintf("%s %s answered transfer %q, found %d times in the records", mv.key, mv.field, mv.transfer, records[mv.transfer]))
		}
		if claimed[mv.transfer] {
			problems = append(problems, fmt.Sprintf("transfer %s answered for two keys", mv.transfer))
		}
		claimed[mv.transfer] = true
		delta := mv.amount
		if mv.field == "reclaimCustomerFunds" {
			delta = delta.Neg()
		}
		want[mv.customer] = want[mv.customer].Add(delta)
	}
	for id, n := range records {
		if !claimed[id] {
			problems = append(problems, fmt.Sprintf("record %s (×%d) was applied but no move answered success for it", id, n))
		}
	}
	after, partnerAfter := balances(c, customers)
	total := decimal.Zero
	for _, cu := range customers {
		got := after[cu].Sub(before[cu])
		total = total.Add(got)
		if !got.Equal(want[cu]) {
			problems = append(problems, fmt.Sprintf("customer %s: balance moved %s, the successful moves say %s", cu, got, want[cu]))
		}
	}
	if !partnerBefore.Sub(partnerAfter).Equal(total) {
		problems = append(problems, fmt.Sprintf("money not conserved: the partner's funds moved %s, its customers' %s", partnerAfter.Sub(partnerBefore), total))
	}
	fmt.Printf("ledger: %d records since the start for %d successful moves; customers' balances moved %s, the partner's funds %s\n",
		len(records), len(claimed), total, partnerAfter.Sub(partnerBefore))
	return problems
}
