package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"partnergraph/identity"
	"partnergraph/internal/testredis"
	"partnergraph/sandbox"
)

// Two live gateway instances share a Redis Cluster of three masters with a
// replica each: a persisted query registered on one is found on the other,
// the rate-limit buckets are in the cluster, a code requested on one is
// accepted on the other, a key used on one replays on the other, the
// attempt limit counts both; then the master holding the verification slot
// and a used key is killed (SIGKILL, once its replica is in sync), the
// replica takes over, and the money flow still applies each move exactly
// once (the sandbox's records). cluster-node-timeout is 1 s, so the
// failover takes two to three seconds.
func TestTwoInstancesOnRedisCluster(t *testing.T) {
	twoInstancesOnRedisCluster(t, 1, 0)
}

// The same with --redis-wait-replicas 1: every idempotency write is on a
// replica before it counts. Each master has two replicas, so the promoted
// one still has a replica to acknowledge its writes.
func TestTwoInstancesOnRedisClusterWithWait(t *testing.T) {
	twoInstancesOnRedisCluster(t, 2, 1)
}

func twoInstancesOnRedisCluster(t *testing.T, replicas, wait int) {
	ctx := context.Background()
	cl := testredis.NewCluster(t, testredis.ClusterOptions{Replicas: replicas, NodeTimeout: time.Second})
	// a replica just online may leave WAIT unanswered for a moment
	for _, m := range cl.Nodes[:3] {
		if err := cl.WaitReplicated(ctx, m); err != nil {
			t.Fatal(err)
		}
	}

	// A single-server URL naming a Cluster node is refused at start-up.
	c, err := parseConfig([]string{"--audit-log", "off", "--redis-url", "redis://" + cl.Addrs()[0]}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := buildGuards(c); err == nil || !strings.Contains(err.Error(), "--redis-url (PARTNERGRAPH_REDIS_URL) points at a Redis Cluster node") {
		t.Fatalf("redis:// to a Cluster node: %v", err)
	}

	sb, err := sandbox.New(sandbox.Options{Seed: 1, Customers: 20})
	if err != nil {
		t.Fatal(err)
	}
	up := httptest.NewServer(sb.Handler())
	defer up.Close()
	m := sb.Manifest(up.URL)
	var tier1 sandbox.ManifestPartner
	for _, p := range m.Partners {
		if p.Kind == "tier1" {
			tier1 = p
			break
		}
	}
	cust := ""
	for _, c := range m.Customers {
		if c.PartnerID == tier1.ID && c.AssociationType == "2" {
			cust = c.ID
			break
		}
	}
	codes := make(chan string, 64)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if c := outboxCodeRE.FindStringSubmatch(string(body)); c != nil {
			codes <- c[1]
		}
	}))
	defer hook.Close()

	secret := strings.Repeat("j", 32)
	env := map[string]string{
		"PARTNERGRAPH_MODE": "live", "PARTNERGRAPH_BSS_ENDPOINT": up.URL, "PARTNERGRAPH_IAM_ENDPOINT": up.URL,
		"PARTNERGRAPH_AK": tier1.AK, "PARTNERGRAPH_SK": tier1.SK, "PARTNERGRAPH_PARTNER_ID": tier1.ID,
		"PARTNERGRAPH_JWT_HS256_SECRET": secret, "PARTNERGRAPH_VERIFICATION_SECRET": strings.Repeat("v", 32),
		"PARTNERGRAPH_REDIS_URL":       "redis+cluster://" + strings.Join(cl.Addrs()[:2], ","),
		"PARTNERGRAPH_SMS_WEBHOOK_URL": hook.URL, "PARTNERGRAPH_SMS_WEBHOOK_SECRET": strings.Repeat("h", 32),
		"PARTNERGRAPH_VERIFICATION_PHONE":  "+8613912345678",
		"PARTNERGRAPH_REDIS_WAIT_REPLICAS": strconv.Itoa(wait),
	}
	gw := map[string]string{
		"A": MustRun(t, []string{"--listen", "127.0.0.1:0"}, env),
		"B": MustRun(t, []string{"--listen", "127.0.0.1:0"}, env),
	}
	token := func(subject string) string {
		tok, err := identity.Mint([]byte(secret), "partnergraph", "partnergraph", identity.Principal{Subject: subject, Role: identity.RolePartner, PartnerID: tier1.ID}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	errCode := func(out map[string]any) string {
		errs, _ := out["errors"].([]any)
		if len(errs) == 0 {
			return ""
		}
		e, _ := errs[0].(map[string]any)
		ext, _ := e["extensions"].(map[string]any)
		if c, _ := ext["code"].(string); c != "" {
			return c
		}
		return fmt.Sprint(e["message"])
	}
	// request asks instance on for a code for tok's allocation of amount.
	request := func(on, tok, amount string) (id, code string, errc string) {
		for len(codes) > 0 {
			<-codes
		}
		out := gql(t, gw[on], tok, `mutation($in: SensitiveInput!) { requestVerificationCode(channel: SMS, operation: ALLOCATE_CUSTOMER_FUNDS, input: $in) { id } }`,
			map[string]any{"in": map[string]any{"allocateCustomerFunds": map[string]any{"customerId": cust, "amount": amount}}})
		if c := errCode(out); c != "" {
			return "", "", c
		}
		id = out["data"].(map[string]any)["requestVerificationCode"].(map[string]any)["id"].(string)
		select {
		case code = <-codes:
		case <-time.After(10 * time.Second):
			t.Fatal("no code sent")
		}
		return id, code, ""
	}
	// allocate moves amount on instance on with key, verified when id is set.
	allocate := func(on, tok, amount, key, id, code string) (transfer, errc string) {
		vars := map[string]any{"in": map[string]any{"customerId": cust, "amount": amount}, "k": key}
		if id != "" {
			vars["v"] = map[string]any{"challengeId": id, "code": code}
		}
		out := gql(t, gw[on], tok, `mutation($in: CustomerFundsInput!, $k: String!, $v: VerificationInput) { allocateCustomerFunds(input: $in, idempotencyKey: $k, verification: $v) { transferId } }`, vars)
		if c := errCode(out); c != "" {
			return "", c
		}
		return out["data"].(map[string]any)["allocateCustomerFunds"].(map[string]any)["transferId"].(string), ""
	}
	mustAllocate := func(on, tok, amount, key, id, code string) string {
		t.Helper()
		tr, errc := allocate(on, tok, amount, key, id, code)
		if errc != "" || tr == "" {
			t.Fatalf("allocate %s with %s on %s: %s", amount, key, on, errc)
		}
		return tr
	}

	// A persisted query registered on A is found on B; the rate-limit
	// buckets are in the cluster.
	doc := `{ viewer { partner { kind } } }`
	sum := sha256.Sum256([]byte(doc))
	apq := func(on string, withDoc bool) reply {
		body := map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}}
		if withDoc {
			body["query"] = doc
		}
		b, _ := json.Marshal(body)
		return post(t, gw[on], token("apq"), "", b, nil)
	}
	if r := apq("B", false); len(r.codes()) != 1 || r.codes()[0] != "PERSISTED_QUERY_NOT_FOUND" {
		t.Fatalf("unknown hash on B: %s", r.raw)
	}
	if r := apq("A", true); len(r.Errors) != 0 || !r.HasData {
		t.Fatalf("registering on A: %s", r.raw)
	}
	if r := apq("B", false); len(r.Errors) != 0 || !strings.Contains(string(r.Data), "TIER1_DISTRIBUTOR") {
		t.Fatalf("the hash alone on B: %s", r.raw)
	}
	cc := cl.Client()
	defer cc.Close()
	var buckets atomic.Int32
	err = cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		keys, err := m.Keys(ctx, "rate:partnergraph:{*}").Result()
		buckets.Add(int32(len(keys)))
		return err
	})
	if err != nil || buckets.Load() == 0 {
		t.Fatalf("no rate-limit bucket in the cluster (%v)", err)
	}

	// A code requested on A is accepted on B; the key used on B replays on A.
	tok := token("clerk-1")
	id, code, errc := request("A", tok, "1.01")
	if errc != "" {
		t.Fatal(errc)
	}
	t1 := mustAllocate("B", tok, "1.01", "cluster-1", id, code)
	if got := mustAllocate("A", tok, "1.01", "cluster-1", "", ""); got != t1 {
		t.Fatalf("the key replays %s on A, %s on B", got, t1)
	}

	// Five wrong codes, on A and B in turn, spend the challenge: the right
	// code then fails on either.
	tok = token("clerk-2")
	id, code, errc = request("B", tok, "1.02")
	if errc != "" {
		t.Fatal(errc)
	}
	for i, on := range []string{"A", "B", "A", "B", "A"} {
		if _, errc := allocate(on, tok, "1.02", "cluster-2", id, wrong6(code)); errc != "VERIFICATION_FAILED" {
			t.Fatalf("wrong code %d on %s: %s", i+1, on, errc)
		}
	}
	if _, errc := allocate("B", tok, "1.02", "cluster-2", id, code); errc != "VERIFICATION_FAILED" {
		t.Fatalf("the right code after five failures on two instances: %q, want VERIFICATION_FAILED", errc)
	}

	// The victim is the master of the verification slot; a move is made
	// (each by its own clerk: the resend cooldown is per principal) until
	// its key's record is on the victim too.
	victim, err := cl.MasterOf(ctx, "{pg:verify}")
	if err != nil {
		t.Fatal(err)
	}
	var preKey, preTok, preTransfer string
	applied := 1
	for i := 0; preKey == "" && i < 24; i++ {
		key, tok := fmt.Sprintf("cluster-pre-%d", i), token(fmt.Sprintf("clerk-pre-%d", i))
		id, code, errc := request("A", tok, "1.03")
		if errc != "" {
			t.Fatal(errc)
		}
		tr := mustAllocate("B", tok, "1.03", key, id, code)
		applied++
		vc := victim.Client()
		keys, err := vc.Keys(ctx, "*:"+key+"}").Result()
		vc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) == 1 {
			preKey, preTok, preTransfer = key, tok, tr
		}
	}
	if preKey == "" {
		t.Fatal("no key record on the victim's slots")
	}
	if err := cl.WaitReplicated(ctx, victim); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	cl.Kill(victim)
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := cl.WaitHealthy(wctx); err != nil {
		t.Fatal(err)
	}
	failedOver, healthy := time.Since(start), time.Now()
	promoted, err := cl.MasterOf(ctx, "{pg:verify}")
	if err != nil || promoted == victim {
		t.Fatalf("the verification slot is on %v (%v)", promoted, err)
	}
	if err := cl.WaitReplicated(wctx, promoted); err != nil && replicas > 1 {
		t.Fatal(err)
	}

	// Each instance's client finds the promoted replica: the key used
	// before the kill replays on both.
	for _, on := range []string{"A", "B"} {
		deadline := time.Now().Add(15 * time.Second)
		for {
			tr, errc := allocate(on, preTok, "1.03", preKey, "", "")
			if errc == "" {
				if tr != preTransfer {
					t.Fatalf("after the failover %s replays %s on %s, want %s", preKey, tr, on, preTransfer)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s on %s after the failover: %s", preKey, on, errc)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Logf("%d moves before the kill; failed over in %v; both instances served within %v of the kill",
		applied, failedOver.Round(10*time.Millisecond), time.Since(start).Round(10*time.Millisecond))
	// go-redis alone would wait for its next periodic slot-map refresh
	// (every 10 s); a failing command makes it refresh at once.
	if late := time.Since(healthy); late > 5*time.Second {
		t.Errorf("the instances served %v after the cluster was healthy again", late)
	}

	// The money flow on the new topology: code on B, move on A, retry on B.
	tok = token("clerk-3")
	id, code, errc = request("B", tok, "1.04")
	if errc != "" {
		t.Fatal(errc)
	}
	t4 := mustAllocate("A", tok, "1.04", "cluster-4", id, code)
	applied++
	if got := mustAllocate("B", tok, "1.04", "cluster-4", "", ""); got != t4 {
		t.Fatalf("the key replays %s on B, %s on A", got, t4)
	}

	// The sandbox holds exactly one record per applied key.
	if n := sb.Stats()["UpdateCustomerAccountAmount"]; n != int64(applied) {
		t.Fatalf("%d upstream moves for %d keys", n, applied)
	}
	out := gql(t, gw["B"], token("auditor"), `query($c: String) { viewer { partner { adjustRecords(customerId: $c, first: 100) { edges { node { transId amount { amount } } } } } } }`,
		map[string]any{"c": cust})
	count := map[string]int{}
	ids := map[string]bool{}
	edges := out["data"].(map[string]any)["viewer"].(map[string]any)["partner"].(map[string]any)["adjustRecords"].(map[string]any)["edges"].([]any)
	for _, e := range edges {
		n := e.(map[string]any)["node"].(map[string]any)
		count[fmt.Sprint(n["amount"].(map[string]any)["amount"])]++
		ids[fmt.Sprint(n["transId"])] = true
	}
	if count["1.01"] != 1 || count["1.02"] != 0 || count["1.03"] != applied-2 || count["1.04"] != 1 || !ids[t1] || !ids[preTransfer] || !ids[t4] {
		t.Fatalf("records by amount %v (want 1.01: 1, 1.03: %d, 1.04: 1)", count, applied-2)
	}
}

// wrong6 is a six-digit code other than code.
func wrong6(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}
