package resolvers_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"testing"

	"partnergraph/identity"
	"partnergraph/sandbox"
)

// Customer.balance and Customer.newCustomerTag are model methods (no
// goroutine per row, graph/model/customer.go): the answers, the upstream
// calls and the per-row errors are what the resolvers gave.
func TestCustomerFieldsWithoutResolvers(t *testing.T) {
	e := newEnv(t, envConfig{Sandbox: sandbox.Options{Customers: 60}})
	tok := MustToken(t, identity.Principal{Subject: "t", Role: identity.RolePartner, PartnerID: e.tier1.ID})
	type node struct {
		ID      string
		Balance *struct {
			Available struct{ Amount, Currency string }
			Debt      struct{ Amount string }
		}
		NewCustomerTag *struct{ Value string }
	}
	list := func(t *testing.T, q string) ([]node, gqlResponse) {
		t.Helper()
		r := e.query(t, tok, q, nil)
		var c struct{ Edges []struct{ Node node } }
		if err := json.Unmarshal(r.Data["customers"], &c); err != nil {
			t.Fatalf("%v: %s", err, r.Data["customers"])
		}
		out := make([]node, len(c.Edges))
		for i, ed := range c.Edges {
			out[i] = ed.Node
		}
		return out, r
	}
	const both = `{ customers(first: 5) { edges { node { id
	  balance { available { amount currency } debt { amount } } newCustomerTag { value } } } } }`

	e.resetStats(t)
	rows, r := list(t, both)
	if len(r.Errors) > 0 || len(rows) != 5 {
		t.Fatalf("errors %+v, %d rows", r.Errors, len(rows))
	}
	if got, want := e.stats(t), map[string]int{"ListSubCustomers": 1, "ListCustomersBalancesDetail": 1, "ListSubCustomerNewTag": 1}; !maps.Equal(got, want) {
		t.Fatalf("calls: got %v, want %v", got, want)
	}

	t.Run("UnrequestedNotRead", func(t *testing.T) {
		e.resetStats(t)
		if _, r := list(t, `{ customers(first: 5) { edges { node { id newCustomerTag { value } } } } }`); len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		if got, want := e.stats(t), map[string]int{"ListSubCustomers": 1, "ListSubCustomerNewTag": 1}; !maps.Equal(got, want) {
			t.Fatalf("calls: got %v, want %v", got, want)
		}
		e.resetStats(t)
		if _, r := list(t, `query($no: Boolean = false) { customers(first: 5) { edges { node { id
		  balance @include(if: $no) { debt { amount } } ... on Customer { newCustomerTag @skip(if: true) { value } } } } } }`); len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		if got, want := e.stats(t), map[string]int{"ListSubCustomers": 1}; !maps.Equal(got, want) {
			t.Fatalf("calls: got %v, want %v", got, want)
		}
	})

	t.Run("Node", func(t *testing.T) {
		e.resetStats(t)
		q := fmt.Sprintf(`{ node(id: %q) { ... on Customer { id balance { available { amount currency } debt { amount } } newCustomerTag { value } } } }`, rows[0].ID)
		r := e.query(t, tok, q, nil)
		if len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		var n node
		if err := json.Unmarshal(r.Data["node"], &n); err != nil {
			t.Fatal(err)
		}
		a, _ := json.Marshal(n)
		b, _ := json.Marshal(rows[0])
		if string(a) != string(b) {
			t.Fatalf("node: %s\nlist: %s", a, b)
		}
		if got, want := e.stats(t), map[string]int{"ListSubCustomers": 1, "ListCustomersBalancesDetail": 1, "ListSubCustomerNewTag": 1}; !maps.Equal(got, want) {
			t.Fatalf("calls: got %v, want %v", got, want)
		}
	})

	t.Run("PageErrorOnEveryRow", func(t *testing.T) {
		e.fault(t, map[string]any{"operation": "ListCustomersBalancesDetail", "status": 500})
		got, r := list(t, both)
		if len(got) != 5 {
			t.Fatalf("%d rows", len(got))
		}
		paths := map[string]bool{}
		for _, er := range r.Errors {
			paths[fmt.Sprint(er.Path)] = true
		}
		for i, n := range got {
			if n.Balance != nil || n.NewCustomerTag == nil {
				t.Errorf("row %d: balance %+v tag %+v", i, n.Balance, n.NewCustomerTag)
			}
			if p := fmt.Sprint([]any{"customers", "edges", i, "node", "balance"}); !paths[p] {
				t.Errorf("no error at %s (errors %+v)", p, r.Errors)
			}
		}
		if len(r.Errors) != 5 {
			t.Errorf("%d errors, want 5: %+v", len(r.Errors), r.Errors)
		}
	})
}
