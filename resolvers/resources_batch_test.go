package resolvers_test

import (
	"fmt"
	"testing"
	"time"

	"partnergraph/sandbox"
)

// A 100-item query costs ceil(100/limit) upstream calls per batched read:
// the showcase customer has 100 main resources.
func TestCommerceBatching(t *testing.T) {
	e := newCommerceEnv(t, sandbox.Options{ShowcaseResources: 100})
	cu := e.showcase(t, e.tier1.ID)
	gid := customerGID(e.tier1.ID, "", cu.ID)
	tok := e.tier1Token(t)

	e.resetStats(t)
	var c struct {
		Resources struct {
			TotalCount int
			Edges      []struct {
				Node struct {
					ResourceID   string
					RenewalQuote *struct {
						Amount  *struct{ Amount string }
						Failure *struct{ Code string }
					}
				}
			}
		}
	}
	q := `query($id: ID!) { node(id: $id) { ... on Customer { resources(first: 100, filter: { onlyMain: true }) { totalCount edges { node {
	  resourceId renewalQuote(period: { type: YEAR, count: 1 }) { amount { amount } failure { code } } } } } } } }`
	mustData(t, e.query(t, tok, q, map[string]any{"id": gid}), "node", &c)
	if len(c.Resources.Edges) != 100 {
		t.Fatalf("resources = %d, want 100", len(c.Resources.Edges))
	}
	ids := make([]string, 0, 100)
	for _, ed := range c.Resources.Edges {
		if ed.Node.RenewalQuote == nil || ed.Node.RenewalQuote.Amount == nil {
			t.Fatalf("no quote for %+v", ed.Node)
		}
		ids = append(ids, ed.Node.ResourceID)
	}
	s := e.calls(t, "ListPayPerUseCustomerResources", "ListRenewRateOnPeriod", "KeystoneCreateAgencyToken")
	if s["ListPayPerUseCustomerResources"] != 1 || s["ListRenewRateOnPeriod"] != 10 || s["KeystoneCreateAgencyToken"] != 1 {
		t.Fatalf("calls for 100 resources with quotes: %v; want 1 list, 10 quotes (10 per call), 1 token", s)
	}
	t.Logf("100 resources + quotes: %v", s)

	// 100 resources by id: 2 calls of 50.
	e.resetStats(t)
	var byID struct{ Resources struct{ TotalCount int } }
	mustData(t, e.query(t, tok, `query($id: ID!, $ids: [String!]) { node(id: $id) { ... on Customer { resources(filter: { resourceIds: $ids }) { totalCount } } } }`,
		map[string]any{"id": gid, "ids": ids}), "node", &byID)
	if byID.Resources.TotalCount != 100 {
		t.Fatalf("by id: %d", byID.Resources.TotalCount)
	}
	if n := e.stats(t)["ListPayPerUseCustomerResources"]; n != 2 {
		t.Fatalf("ListPayPerUseCustomerResources calls = %d, want 2 (50 ids per call)", n)
	}
	r := e.query(t, tok, `query($id: ID!, $ids: [String!]) { node(id: $id) { ... on Customer { resources(filter: { resourceIds: $ids }) { totalCount } } } }`,
		map[string]any{"id": gid, "ids": append(ids, "one-too-many")})
	wantError(t, r, "BAD_USER_INPUT", "")

	// Free-resource usages of a page of packages: one call per 100 items.
	e.resetStats(t)
	var p struct {
		ResourcePackages struct {
			Edges []struct {
				Node struct {
					Items []struct{ Usage *struct{ Used string } }
				}
			}
		}
	}
	mustData(t, e.query(t, tok, `query($id: ID!) { node(id: $id) { ... on Customer { resourcePackages { edges { node { items { usage { used } } } } } } } }`,
		map[string]any{"id": gid}), "node", &p)
	items := 0
	for _, ed := range p.ResourcePackages.Edges {
		for _, it := range ed.Node.Items {
			if it.Usage == nil {
				t.Fatal("item without usage")
			}
			items++
		}
	}
	if items < 2 || e.stats(t)["ListFreeResourceUsages"] != 1 {
		t.Fatalf("%d items, %d usage calls; want one call", items, e.stats(t)["ListFreeResourceUsages"])
	}

	// On-demand resources for a page of customers: one call per customer
	// (the upstream takes one customer per call), none twice.
	e.resetStats(t)
	var cs struct {
		Edges []struct {
			Node struct {
				OnDemandResources struct{ TotalCount int }
			}
		}
	}
	mustData(t, e.query(t, tok, `{ customers(first: 100) { edges { node { onDemandResources { totalCount } again: onDemandResources { totalCount } } } } }`, nil), "customers", &cs)
	if n := e.stats(t)["ListCustomerOnDemandResources"]; n != len(cs.Edges) {
		t.Fatalf("ListCustomerOnDemandResources calls = %d for %d customers", n, len(cs.Edges))
	}
	if cs.Edges[0].Node.OnDemandResources.TotalCount != 5 {
		t.Fatalf("showcase on-demand resources = %d", cs.Edges[0].Node.OnDemandResources.TotalCount)
	}
}

// 100 concurrent requests for one customer's customer-only data share one
// token call; a token that expires between two requests is fetched again.
func TestCommerceCustomerToken(t *testing.T) {
	e := newCommerceEnv(t, sandbox.Options{})
	cu := e.showcase(t, e.tier1.ID)
	gid := customerGID(e.tier1.ID, "", cu.ID)
	tok := e.tier1Token(t)
	q := `query($id: ID!) { node(id: $id) { ... on Customer { resourcePackages { totalCount } } } }`

	e.resetStats(t)
	for _, r := range e.queryParallel(t, 100, tok, q, func(int) map[string]any { return map[string]any{"id": gid} }) {
		if len(r.Errors) > 0 {
			t.Fatal(fmt.Sprint(r.Errors))
		}
	}
	s := e.calls(t, "KeystoneCreateAgencyToken", "ListFreeResourceInfos")
	if s["KeystoneCreateAgencyToken"] != 1 || s["ListFreeResourceInfos"] != 100 {
		t.Fatalf("calls %v: want 1 token call for 100 concurrent requests", s)
	}

	// The cached token nears its expiry (24 h, 10 min margin) between two
	// requests: the next request fetches a new one and succeeds.
	e.tokClock.Advance(23*time.Hour + 55*time.Minute)
	e.resetStats(t)
	var c struct{ ResourcePackages struct{ TotalCount int } }
	mustData(t, e.query(t, tok, q, map[string]any{"id": gid}), "node", &c)
	if c.ResourcePackages.TotalCount != 1 || e.stats(t)["KeystoneCreateAgencyToken"] != 1 {
		t.Fatalf("after expiry: %+v, token calls %d; want a new token", c, e.stats(t)["KeystoneCreateAgencyToken"])
	}
	// Back to the upstream's time: the new token (issued by the sandbox's
	// real clock) is valid for 24 hours again.
	e.tokClock.Advance(-(23*time.Hour + 55*time.Minute))

	// The upstream rejects the token (401, e.g. revoked or expired early):
	// the gateway drops it, fetches a new one and retries once.
	e.fault(t, map[string]any{"operation": "ListFreeResourceInfos", "status": 401, "code": "APIG.0301", "message": "token expires", "count": 1})
	e.resetStats(t)
	mustData(t, e.query(t, tok, q, map[string]any{"id": gid}), "node", &c)
	s = e.calls(t, "KeystoneCreateAgencyToken", "ListFreeResourceInfos")
	if c.ResourcePackages.TotalCount != 1 || s["KeystoneCreateAgencyToken"] != 1 || s["ListFreeResourceInfos"] != 2 {
		t.Fatalf("after a 401: %+v, calls %v; want one new token and one retry", c, s)
	}

	// A second 401 is not retried again: the error surfaces.
	e.fault(t, map[string]any{"operation": "ListFreeResourceInfos", "status": 401, "code": "APIG.0301", "message": "token expires", "count": 2})
	e.resetStats(t)
	r := e.query(t, tok, q, map[string]any{"id": gid})
	wantError(t, r, "UPSTREAM_ERROR", "")
	if s := e.calls(t, "ListFreeResourceInfos"); s["ListFreeResourceInfos"] != 2 {
		t.Fatalf("calls %v: want exactly one retry", s)
	}
}
