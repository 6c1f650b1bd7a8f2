package gateway_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"partnergraph/apierr"
	"partnergraph/gateway"
	"partnergraph/sandbox"
)

// IAM refusing the agency (a partner assuming into a customer that is not
// its own) is NOT_FOUND, and an account without an agency name has no
// customer-only operations.
func TestCustomerTokenRefused(t *testing.T) {
	sb, err := sandbox.New(sandbox.Options{Seed: 7, Customers: 20})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	defer srv.Close()
	m := sb.Manifest(srv.URL)
	var accounts []gateway.Account
	var provider, tier1 sandbox.ManifestPartner
	for _, p := range m.Partners {
		a := gateway.Account{ID: p.ID, Kind: gateway.Kind(p.Kind), ParentID: p.ParentID, AK: p.AK, SK: p.SK, AgencyName: p.AgencyName}
		switch p.Kind {
		case "provider":
			provider = p
		case "tier1":
			tier1 = p
			a.AgencyName = "" // no agency configured
		}
		accounts = append(accounts, a)
	}
	c, err := gateway.New(gateway.Config{Endpoint: m.Endpoint, IAMEndpoint: m.IAMEndpoint, Accounts: accounts, CallTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var tier1Customer string
	for _, cu := range m.Customers {
		if cu.PartnerID == tier1.ID {
			tier1Customer = cu.ID
		}
	}
	_, err = c.ResourcePackages(context.Background(), gateway.Scope{Account: provider.ID}, tier1Customer, gateway.Window{Limit: 10})
	if apierr.ErrorCode(err) != apierr.CodeNotFound {
		t.Fatalf("provider into tier-1's customer: %v, want NOT_FOUND", err)
	}
	_, err = c.ResourcePackages(context.Background(), gateway.Scope{Account: tier1.ID}, tier1Customer, gateway.Window{Limit: 10})
	if apierr.ErrorCode(err) != apierr.CodeInternal {
		t.Fatalf("no agency: %v, want INTERNAL", err)
	}
	if n := sb.Stats()["ListFreeResourceInfos"]; n != 0 {
		t.Fatalf("ListFreeResourceInfos calls = %d, want 0", n)
	}
}
