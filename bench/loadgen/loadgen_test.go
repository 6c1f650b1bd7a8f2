package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"partnergraph/guard/notify"
	"partnergraph/guard/verify"
	"partnergraph/sandbox"
)

// The upstream path's hand-made signatures, paths and bodies are accepted
// by the sandbox, and cost the three calls of a W1 full page.
func TestUpstreamPathAgainstSandbox(t *testing.T) {
	sb, err := sandbox.New(sandbox.Options{Customers: 400})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	defer srv.Close()
	var tier1 sandbox.ManifestPartner
	for _, p := range sb.Manifest(srv.URL).Partners {
		if p.Kind == "tier1" {
			tier1 = p
			break
		}
	}
	up := &upstreamPath{endpoint: srv.URL, ak: tier1.AK, sk: tier1.SK, first: 100}
	if err := up.page(context.Background(), &worker{client: srv.Client()}, 0); err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"ListSubCustomers": 1, "ListCustomersBalancesDetail": 1, "ListSubCustomerNewTag": 1}
	got := sb.Stats()
	for op, n := range want {
		if got[op] != n {
			t.Errorf("%s: %d calls, want %d (all: %v)", op, got[op], n, got)
		}
	}
}

// The receiver takes the code out of a message the gateway's verification
// engine sends through its webhook, and refuses a wrongly signed one.
func TestReceiverTakesTheGatewaysCode(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	r := &codeReceiver{secret: secret, waiting: map[string]chan string{}}
	srv := httptest.NewServer(r)
	defer srv.Close()

	eng, err := verify.New(verify.NewMemoryStore(), verify.Config{Secret: verify.RandomSecret(), Sender: &notify.Webhook{URL: srv.URL + "/sms", Secret: secret}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p := verify.Principal{Subject: "bench-w4-1", PartnerID: "tier1"}
	digest := strings.Repeat("ab", 32)
	codes := r.expect("+8613900000001")
	ch, err := eng.Request(ctx, p, "ALLOCATE_CUSTOMER_FUNDS", digest, notify.SMS, "+8613900000001", verify.Details{})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-codes:
		if err := eng.Verify(ctx, p, "ALLOCATE_CUSTOMER_FUNDS", digest, ch.ID, code); err != nil {
			t.Fatalf("the code %q the receiver took: %v", code, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no code")
	}

	forged := &notify.Webhook{URL: srv.URL + "/sms", Secret: []byte("another secret of sixteen bytes+")}
	r.expect("+8613900000002")
	if err := forged.Send(ctx, notify.Message{Channel: notify.SMS, To: "+8613900000002", Text: "Your partnergraph verification code is 123456."}); err == nil {
		t.Fatal("a forged delivery was accepted")
	}
	if n := r.rejected.Load(); n != 1 {
		t.Fatalf("rejected = %d, want 1", n)
	}
}

func TestScrape(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("# HELP go_memstats_alloc_bytes_total Total bytes allocated.\n" +
			"# TYPE go_memstats_alloc_bytes_total counter\ngo_memstats_alloc_bytes_total 1.2345e+09\n" +
			"go_memstats_mallocs_total 4.2e+07\ngo_memstats_frees_total 4.1e+07\n"))
	}))
	defer srv.Close()
	alloc, mallocs, err := scrape(context.Background(), srv.URL)
	if err != nil || alloc != 1.2345e9 || mallocs != 4.2e7 {
		t.Fatalf("scrape = %v, %v, %v", alloc, mallocs, err)
	}
}

func TestPercentileIsNearestRank(t *testing.T) {
	o := outcome{}
	for i := 1; i <= 100; i++ {
		o.latencies = append(o.latencies, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]float64{50: 50, 95: 95, 99: 99, 100: 100} {
		if got := o.percentile(p); got != want {
			t.Errorf("p%v = %v, want %v", p, got, want)
		}
	}
}
