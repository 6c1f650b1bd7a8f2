package resolvers_test

import (
	"context"
	"encoding/json"
	"testing"

	"partnergraph/guard/verify"
	"partnergraph/identity"
)

const resellerRecordsQ = `adjustRecords(first: 50) { totalCount edges { node { transId customerId operationType amount { amount currency } } } }
  accountChangeRecords(first: 50) { totalCount edges { node { id tradeType change { amount currency } } } }
  verification { enabled }`

type resellerRecords struct {
	ResellerID    string
	AdjustRecords *struct {
		TotalCount int
		Edges      []struct {
			Node struct {
				TransID, CustomerID, OperationType string
				Amount                             struct{ Amount, Currency string }
			}
		}
	}
	AccountChangeRecords *struct {
		TotalCount int
		Edges      []struct {
			Node struct{ ID, TradeType string }
		}
	}
	Verification *struct{ Enabled bool }
}

// A reseller's adjust records, account change records and verification
// setting: its tier-1 and the reseller itself read the same; the setting is
// the gateway's own, per reseller.
func TestResellerRecordsAndVerification(t *testing.T) {
	e := newEnv(t, envConfig{})
	var v struct{ Reseller resellerRecords }
	mustData(t, e.query(t, e.resellerToken(t), `{ viewer { reseller { resellerId `+resellerRecordsQ+` } } }`, nil), "viewer", &v)
	own := v.Reseller
	if own.AdjustRecords == nil || own.AdjustRecords.TotalCount == 0 || own.AccountChangeRecords == nil || own.AccountChangeRecords.TotalCount == 0 ||
		own.Verification == nil || !own.Verification.Enabled {
		t.Fatalf("the reseller's own view %+v", own)
	}
	for _, ed := range own.AdjustRecords.Edges {
		if ed.Node.Amount.Currency != "CNY" || ed.Node.OperationType == "" {
			t.Fatalf("adjust record %+v", ed.Node)
		}
	}

	// Verification off for the reseller (as setVerificationEnabled does): its
	// tier-1 sees it, the tier-1's own setting is unchanged.
	if err := e.engine.SetEnabled(context.Background(), verify.Principal{Subject: "rita", Role: string(identity.RoleReseller), PartnerID: e.reseller.ID}, false); err != nil {
		t.Fatal(err)
	}
	var rl struct {
		Edges []struct{ Node resellerRecords }
	}
	mustData(t, e.query(t, e.tier1Token(t), `{ resellers(first: 10) { edges { node { resellerId `+resellerRecordsQ+` } } } }`, nil), "resellers", &rl)
	seen := false
	for _, ed := range rl.Edges {
		n := ed.Node
		if n.ResellerID != e.reseller.ID {
			if n.Verification == nil || !n.Verification.Enabled {
				t.Fatalf("another reseller's setting %+v", n.Verification)
			}
			continue
		}
		seen = true
		if n.Verification == nil || n.Verification.Enabled {
			t.Fatalf("the tier-1 sees %+v, want disabled", n.Verification)
		}
		a, _ := json.Marshal(n.AdjustRecords)
		b, _ := json.Marshal(own.AdjustRecords)
		if string(a) != string(b) || n.AccountChangeRecords.TotalCount != own.AccountChangeRecords.TotalCount {
			t.Fatalf("the tier-1 reads other records than the reseller:\n%s\n%s", a, b)
		}
	}
	if !seen {
		t.Fatal("the reseller is not listed")
	}
	var p struct {
		Partner struct{ Verification struct{ Enabled bool } }
	}
	mustData(t, e.query(t, e.tier1Token(t), `{ viewer { partner { verification { enabled } } } }`, nil), "viewer", &p)
	if !p.Partner.Verification.Enabled {
		t.Fatal("the reseller's setting changed its tier-1's")
	}
}
