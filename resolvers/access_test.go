package resolvers_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"partnergraph/identity"
)

// rootQueries is one query per root field of the schema.
var rootQueries = map[string]string{
	"viewer":    `{ viewer { role subject partner { partnerId kind funds { accountType } } reseller { resellerId funds { accountType } } customer { customerId } } }`,
	"customers": `{ customers(first: 100) { totalCount edges { node { id customerId balance { available { amount } } } } } }`,
	"resellers": `{ resellers { totalCount edges { node { id resellerId } } } }`,
	"catalogue": `{ catalogue { serviceTypes { code } measureUnits { id } } }`,
	"node":      `query($id: ID!) { node(id: $id) { id ... on Customer { customerId } } }`,
}

func TestEveryRoleEveryRootField(t *testing.T) {
	e := newEnv(t, envConfig{})
	tier1Customers := e.customersOf(e.tier1.ID)
	resellerCustomers := e.customersOf(e.reseller.ID)
	if len(tier1Customers) < 2 || len(resellerCustomers) == 0 || len(e.customersOf(e.provider.ID)) == 0 {
		t.Fatalf("sandbox manifest lacks sample customers: %+v", e.manifest.Customers)
	}
	self := tier1Customers[0].ID
	tokens := map[string]string{
		"none":     "",
		"bad":      "not-a-token",
		"tier1":    MustToken(t, identity.Principal{Subject: "a", Role: identity.RolePartner, PartnerID: e.tier1.ID}),
		"reseller": MustToken(t, identity.Principal{Subject: "b", Role: identity.RoleReseller, PartnerID: e.reseller.ID}),
		"provider": MustToken(t, identity.Principal{Subject: "c", Role: identity.RolePartner, PartnerID: e.provider.ID}),
		"customer": MustToken(t, identity.Principal{Subject: "d", Role: identity.RoleCustomer, PartnerID: e.tier1.ID, CustomerID: self}),
	}

	// global IDs as each partner sees its customers
	idsOf := func(role string) map[string]string {
		r := e.query(t, tokens[role], rootQueries["customers"], nil)
		var c struct {
			Edges []struct {
				Node struct{ ID, CustomerID string }
			}
		}
		_ = json.Unmarshal(r.Data["customers"], &c)
		out := map[string]string{}
		for _, ed := range c.Edges {
			out[ed.Node.CustomerID] = ed.Node.ID
		}
		return out
	}
	tier1IDs, resellerIDs, providerIDs := idsOf("tier1"), idsOf("reseller"), idsOf("provider")
	var tier1Other, resellerOne, providerOne string
	for cid, gid := range tier1IDs {
		if cid != self {
			tier1Other = gid
		}
	}
	for _, gid := range resellerIDs {
		resellerOne = gid
	}
	for _, gid := range providerIDs {
		providerOne = gid
	}
	if tier1IDs[self] == "" || tier1Other == "" || resellerOne == "" || providerOne == "" {
		t.Fatalf("could not collect ids: tier1 %d, reseller %d, provider %d", len(tier1IDs), len(resellerIDs), len(providerIDs))
	}
	// the reseller's customer as the tier-1 addresses it (its keys + indirect id)
	var t1ViaReseller string
	{
		r := e.query(t, tokens["tier1"], `{ resellers { edges { node { resellerId customers(first: 5) { edges { node { id } } } } } } }`, nil)
		var c struct {
			Edges []struct {
				Node struct {
					ResellerID string
					Customers  struct {
						Edges []struct{ Node struct{ ID string } }
					}
				}
			}
		}
		_ = json.Unmarshal(r.Data["resellers"], &c)
		for _, ed := range c.Edges {
			if ed.Node.ResellerID == e.reseller.ID && len(ed.Node.Customers.Edges) > 0 {
				t1ViaReseller = ed.Node.Customers.Edges[0].Node.ID
			}
		}
		if t1ViaReseller == "" {
			t.Fatalf("tier-1 could not list its reseller's customers: %+v", r.Errors)
		}
	}
	// a hand-made id: the tier-1's keys acting "for" the provider (not its reseller)
	forged := base64.RawURLEncoding.EncodeToString([]byte("Customer:" + e.tier1.ID + ":" + e.provider.ID + ":" + e.customersOf(e.provider.ID)[0].ID))

	type nodeCase struct {
		id   string
		want string // "" ok, else error code
	}
	tests := map[string]struct {
		want  map[string]string // root field -> "" (ok) or error code
		nodes map[string]nodeCase
	}{
		"none": {want: map[string]string{"viewer": "UNAUTHENTICATED", "customers": "UNAUTHENTICATED", "resellers": "UNAUTHENTICATED", "catalogue": "UNAUTHENTICATED"},
			nodes: map[string]nodeCase{"any": {tier1IDs[self], "UNAUTHENTICATED"}}},
		"bad": {want: map[string]string{"viewer": "UNAUTHENTICATED", "customers": "UNAUTHENTICATED", "resellers": "UNAUTHENTICATED", "catalogue": "UNAUTHENTICATED"},
			nodes: map[string]nodeCase{"any": {tier1IDs[self], "UNAUTHENTICATED"}}},
		"tier1": {want: map[string]string{"viewer": "", "customers": "", "resellers": "", "catalogue": ""},
			nodes: map[string]nodeCase{"own": {tier1Other, ""}, "resellersCustomer": {t1ViaReseller, ""}, "providersCustomer": {providerOne, "NOT_FOUND"}, "forgedIndirect": {forged, "NOT_FOUND"}, "garbage": {"xyz", "NOT_FOUND"}}},
		"reseller": {want: map[string]string{"viewer": "", "customers": "", "resellers": "FORBIDDEN", "catalogue": ""},
			nodes: map[string]nodeCase{"own": {resellerOne, ""}, "tier1sCustomer": {tier1Other, "NOT_FOUND"}, "providersCustomer": {providerOne, "NOT_FOUND"}}},
		"provider": {want: map[string]string{"viewer": "", "customers": "", "resellers": "", "catalogue": ""},
			nodes: map[string]nodeCase{"own": {providerOne, ""}, "tier1sCustomer": {tier1Other, "NOT_FOUND"}, "resellersCustomer": {t1ViaReseller, "NOT_FOUND"}}},
		"customer": {want: map[string]string{"viewer": "", "customers": "", "resellers": "FORBIDDEN", "catalogue": ""},
			nodes: map[string]nodeCase{"self": {tier1IDs[self], ""}, "sibling": {tier1Other, "NOT_FOUND"}, "resellersCustomer": {resellerOne, "NOT_FOUND"}}},
	}
	for role, tt := range tests {
		t.Run(role, func(t *testing.T) {
			for field, want := range tt.want {
				r := e.query(t, tokens[role], rootQueries[field], nil)
				if got := strings.Join(r.codes(), ","); !(want == "" && got == "" || want != "" && strings.HasPrefix(got, want)) {
					t.Errorf("%s: got codes %q, want %q (%+v)", field, got, want, r.Errors)
				}
			}
			for name, nc := range tt.nodes {
				r := e.query(t, tokens[role], rootQueries["node"], map[string]any{"id": nc.id})
				got := strings.Join(r.codes(), ",")
				if got != nc.want {
					t.Errorf("node %s: got codes %q, want %q (%+v)", name, got, nc.want, r.Errors)
				}
				if nc.want == "" && string(r.Data["node"]) == "null" {
					t.Errorf("node %s: got null", name)
				}
			}
		})
	}

	t.Run("WhatEachRoleSees", func(t *testing.T) {
		// a customer sees only itself
		r := e.query(t, tokens["customer"], rootQueries["customers"], nil)
		var c struct {
			TotalCount int
			Edges      []struct{ Node struct{ CustomerID string } }
		}
		_ = json.Unmarshal(r.Data["customers"], &c)
		if len(c.Edges) != 1 || c.Edges[0].Node.CustomerID != self {
			t.Errorf("customer sees %+v, want only %s", c, self)
		}
		// a reseller sees only its own customers
		for cid := range resellerIDs {
			if _, ok := tier1IDs[cid]; ok {
				t.Errorf("reseller sees the tier-1's customer %s", cid)
			}
		}
		for _, mc := range resellerCustomers {
			if _, ok := resellerIDs[mc.ID]; !ok {
				t.Errorf("reseller does not see its own customer %s", mc.ID)
			}
		}
		// a solution provider has no resellers
		r = e.query(t, tokens["provider"], rootQueries["resellers"], nil)
		if string(r.Data["resellers"]) != `{"totalCount":0,"edges":[]}` {
			t.Errorf("provider resellers: got %s", r.Data["resellers"])
		}
		// a tier-1 sees its resellers
		r = e.query(t, tokens["tier1"], rootQueries["resellers"], nil)
		if !strings.Contains(string(r.Data["resellers"]), e.reseller.ID) {
			t.Errorf("tier-1 resellers: got %s, want %s among them", r.Data["resellers"], e.reseller.ID)
		}
		// the viewer names the role
		for role, want := range map[string]string{"tier1": "PARTNER", "reseller": "RESELLER", "customer": "CUSTOMER"} {
			r := e.query(t, tokens[role], rootQueries["viewer"], nil)
			if !strings.Contains(string(r.Data["viewer"]), `"role":"`+want+`"`) || len(r.Errors) > 0 {
				t.Errorf("%s viewer: got %s %+v", role, r.Data["viewer"], r.Errors)
			}
		}
	})
}
