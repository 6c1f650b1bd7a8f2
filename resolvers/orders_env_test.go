package resolvers_test

import (
	"encoding/base64"
	"testing"

	"partnergraph/identity"
	"partnergraph/sandbox"
)

// Helpers of the commerce tests, on newCommerceEnv.

// showcase returns the partner's showcase customer (a resale customer with
// pending orders, resources, on-demand resources and a package).
func (e *env) showcase(tb testing.TB, partnerID string) sandbox.ManifestCustomer {
	tb.Helper()
	cs := e.customersOf(partnerID)
	if len(cs) == 0 {
		tb.Fatalf("no customer of %s in the manifest", partnerID)
	}
	return cs[0]
}

func (e *env) customerToken(tb testing.TB, cu sandbox.ManifestCustomer) string {
	return MustToken(tb, identity.Principal{Subject: "cust-" + cu.ID[:6], Role: identity.RoleCustomer, PartnerID: cu.PartnerID, CustomerID: cu.ID})
}

// customerGID is a customer's global id under a scope (ids.go format).
func customerGID(account, indirect, customerID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("Customer:" + account + ":" + indirect + ":" + customerID))
}

// gidOf is the customer's global id under its owner's home scope.
func (e *env) gidOf(cu sandbox.ManifestCustomer) string {
	for _, p := range e.manifest.Partners {
		if p.ID == cu.PartnerID && p.Kind == "tier2" {
			return customerGID(p.ParentID, p.ID, cu.ID)
		}
	}
	return customerGID(cu.PartnerID, "", cu.ID)
}
