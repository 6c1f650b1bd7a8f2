package sandbox

import (
	"fmt"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
)

// GET /_sandbox/requests (Sandbox.Requests) lists the routed calls with the
// X-Request-Id each was answered with, and how it was authenticated.
func TestRequestLog(t *testing.T) {
	sb, srv, m := newTestSandbox(t)
	sb.ResetStats()
	p := m.Partners[0]
	c := bssClient(t, srv.URL, p.AK, p.SK)
	if _, err := c.ListPartnerBalances(&model.ListPartnerBalancesRequest{}); err != nil {
		t.Fatal(err)
	}
	rs := sb.Requests()
	if len(rs) != 1 || rs[0].Operation != "ListPartnerBalances" || rs[0].RequestID == "" || rs[0].Auth != "aksk" || rs[0].SignedHeaders == "" {
		t.Fatalf("requests %+v", rs)
	}

	sb.ResetStats()
	if len(sb.Requests()) != 0 {
		t.Fatal("reset kept the requests")
	}
}

func TestRequestLogRing(t *testing.T) {
	st := newStats()
	for i := 0; i < maxRecentRequests+5; i++ {
		st.record(Request{Operation: "Op", RequestID: fmt.Sprint(i)})
	}
	rs := st.requests()
	if len(rs) != maxRecentRequests || rs[0].RequestID != "5" || rs[len(rs)-1].RequestID != fmt.Sprint(maxRecentRequests+4) {
		t.Fatalf("ring: %d entries, first %q, last %q", len(rs), rs[0].RequestID, rs[len(rs)-1].RequestID)
	}
}
