package resolvers_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"testing"

	"partnergraph/identity"
	"partnergraph/sandbox"
)

const customersQuery = `query($n: Int) { customers(first: $n) { totalCount edges { node { id customerId
  balance { available { amount currency } debt { amount } } newCustomerTag { value } } } } }`

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// A page of N customers with balance and tag costs 1 list + ceil(N/100)
// balance calls + ceil(N/200) tag calls, whatever N.
func TestBatchingCustomers(t *testing.T) {
	e := newEnv(t, envConfig{Sandbox: sandbox.Options{Customers: 600}})
	tok := MustToken(t, identity.Principal{Subject: "t", Role: identity.RolePartner, PartnerID: e.tier1.ID})
	for _, n := range []int{10, 100} {
		t.Run(fmt.Sprintf("N=%d", n), func(t *testing.T) {
			e.resetStats(t)
			r := e.query(t, tok, customersQuery, map[string]any{"n": n})
			if len(r.Errors) > 0 {
				t.Fatalf("errors: %+v", r.Errors)
			}
			var c struct {
				TotalCount int
				Edges      []struct{ Node map[string]any }
			}
			if err := json.Unmarshal(r.Data["customers"], &c); err != nil {
				t.Fatal(err)
			}
			if len(c.Edges) != n {
				t.Fatalf("got %d customers, want %d (total %d)", len(c.Edges), n, c.TotalCount)
			}
			got := e.stats(t)
			want := map[string]int{"ListSubCustomers": 1, "ListCustomersBalancesDetail": ceilDiv(n, 100), "ListSubCustomerNewTag": ceilDiv(n, 200)}
			if !maps.Equal(got, want) {
				t.Fatalf("upstream calls: got %v, want %v", got, want)
			}
		})
	}
	t.Run("SameKeysDeduplicated", func(t *testing.T) {
		e.resetStats(t)
		q := `{ a: customers(first: 10) { edges { node { balance { debt { amount } } newCustomerTag { value } } } }
		        b: customers(first: 10) { edges { node { balance { available { amount } } newCustomerTag { value } } } } }`
		if r := e.query(t, tok, q, nil); len(r.Errors) > 0 {
			t.Fatalf("errors: %+v", r.Errors)
		}
		got := e.stats(t)
		want := map[string]int{"ListSubCustomers": 2, "ListCustomersBalancesDetail": 1, "ListSubCustomerNewTag": 1}
		if !maps.Equal(got, want) {
			t.Fatalf("upstream calls: got %v, want %v", got, want)
		}
	})
}

// Resellers with funds and quotas: 1 list + 1 issued-quota call for the
// page; funds cost one call per reseller because the upstream's
// ListPartnerBalances takes a single indirect_partner_id (no batch form).
func TestBatchingResellers(t *testing.T) {
	e := newEnv(t, envConfig{})
	tok := MustToken(t, identity.Principal{Subject: "t", Role: identity.RolePartner, PartnerID: e.tier1.ID})
	e.resetStats(t)
	r := e.query(t, tok, `{ resellers(first: 50) { totalCount edges { node { resellerId
		funds { accountType amount { amount currency } } couponQuotas { quotaId balance { amount } } } } } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	var c struct {
		TotalCount int
		Edges      []struct{ Node struct{ ResellerID string } }
	}
	if err := json.Unmarshal(r.Data["resellers"], &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Edges) == 0 {
		t.Fatal("no resellers")
	}
	got := e.stats(t)
	want := map[string]int{"ListIndirectPartners": 1, "ListPartnerBalances": len(c.Edges), "ListIssuedCouponQuotas": 1}
	if !maps.Equal(got, want) {
		t.Fatalf("upstream calls: got %v, want %v", got, want)
	}
}

// A page of coupons with their records costs one list call and one record
// call per 100 records of the page (ListPartnerCouponsRecord takes the
// page's coupon ids), whatever the page's length.
func TestBatchingCouponRecords(t *testing.T) {
	e := newEnv(t, envConfig{Sandbox: sandbox.Options{Customers: 600}})
	tok := MustToken(t, identity.Principal{Subject: "t", Role: identity.RolePartner, PartnerID: e.tier1.ID})
	for _, n := range []int{5, 40, 100} {
		t.Run(fmt.Sprintf("N=%d", n), func(t *testing.T) {
			e.resetStats(t)
			r := e.query(t, tok, `query($n: Int) { viewer { partner { issuedCoupons(first: $n) { edges { node { couponId
			  records(first: 1) { totalCount edges { node { operationType amount { amount } } } } } } } } } }`, map[string]any{"n": n})
			var v struct {
				Partner struct {
					IssuedCoupons struct {
						Edges []struct {
							Node struct {
								CouponID string
								Records  struct {
									TotalCount int
									Edges      []struct {
										Node struct{ OperationType string }
									}
								}
							}
						}
					}
				}
			}
			mustData(t, r, "viewer", &v)
			edges := v.Partner.IssuedCoupons.Edges
			if len(edges) != n {
				t.Fatalf("got %d coupons, want %d", len(edges), n)
			}
			records := 0
			for _, ed := range edges {
				if ed.Node.Records.TotalCount == 0 || len(ed.Node.Records.Edges) != 1 {
					t.Fatalf("coupon %s has no records", ed.Node.CouponID)
				}
				records += ed.Node.Records.TotalCount
			}
			want := map[string]int{"ListIssuedPartnerCoupons": 1, "ListPartnerCouponsRecord": ceilDiv(records, 100)}
			if got := e.stats(t); !maps.Equal(got, want) {
				t.Fatalf("upstream calls: got %v, want %v (%d records)", got, want, records)
			}
		})
	}
}

// A tier-1's resellers with their own records, coupons and setting: the
// upstream reads one reseller's records or coupons per call (a single
// indirect_partner_id, no batch form), so each field costs one call per
// reseller, side by side; the verification setting costs none.
func TestBatchingResellerRecords(t *testing.T) {
	e := newEnv(t, envConfig{})
	tok := MustToken(t, identity.Principal{Subject: "t", Role: identity.RolePartner, PartnerID: e.tier1.ID})
	e.resetStats(t)
	r := e.query(t, tok, `{ resellers(first: 50) { edges { node { resellerId adjustRecords(first: 2) { totalCount }
	  accountChangeRecords(first: 2) { totalCount } issuedCoupons(first: 2) { totalCount } couponRecords(first: 2) { totalCount }
	  verification { enabled } } } } }`, nil)
	var c struct {
		Edges []struct{ Node struct{ ResellerID string } }
	}
	mustData(t, r, "resellers", &c)
	n := len(c.Edges)
	if n == 0 {
		t.Fatal("no resellers")
	}
	want := map[string]int{"ListIndirectPartners": 1, "ListPartnerAdjustRecords": n, "ListPartnerAccountChangeRecords": n,
		"ListIssuedPartnerCoupons": n, "ListPartnerCouponsRecord": n}
	if got := e.stats(t); !maps.Equal(got, want) {
		t.Fatalf("upstream calls: got %v, want %v", got, want)
	}
}

// The customers' identity fields (xaccountId, xaccountType, customerType)
// come with the list's own rows: a page costs its one list call.
func TestBatchingCustomerIdentity(t *testing.T) {
	e := newEnv(t, envConfig{})
	tok := MustToken(t, identity.Principal{Subject: "t", Role: identity.RolePartner, PartnerID: e.provider.ID})
	e.resetStats(t)
	r := e.query(t, tok, `{ customers(first: 100) { edges { node { customerId xaccountId xaccountType customerType } } } }`, nil)
	var c struct {
		Edges []struct {
			Node struct {
				XaccountID   *string
				CustomerType *string
			}
		}
	}
	mustData(t, r, "customers", &c)
	if len(c.Edges) == 0 || c.Edges[0].Node.XaccountID == nil || c.Edges[0].Node.CustomerType == nil {
		t.Fatalf("identity fields %+v", c.Edges)
	}
	if got := e.stats(t); !maps.Equal(got, map[string]int{"ListSubCustomers": 1}) {
		t.Fatalf("upstream calls %v, want the list call only", got)
	}
}
