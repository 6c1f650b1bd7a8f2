package resolvers

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"

	"partnergraph/gateway"
	"partnergraph/graph/model"
)

// The allocation-saving forms of globalID, cursor and customer give what
// the plain forms gave.
func TestConvertFormsUnchanged(t *testing.T) {
	long := strings.Repeat("x", 300) // past globalID's stack buffer
	for _, c := range []struct {
		s  gateway.Scope
		id string
	}{{gateway.Scope{Account: "a1"}, "c1"}, {gateway.Scope{Account: "a1", Indirect: "r1"}, long}, {gateway.Scope{}, ""}} {
		want := base64.RawURLEncoding.EncodeToString([]byte("Customer:" + c.s.Account + ":" + c.s.Indirect + ":" + c.id))
		if got := globalID("Customer", c.s, c.id); got != want {
			t.Errorf("globalID(%+v, %q) = %q, want %q", c.s, c.id, got, want)
		}
	}
	for _, n := range []int{0, 7, 99, 123456789} {
		want := base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(n)))
		if got := cursor(n); got != want {
			t.Errorf("cursor(%d) = %q, want %q", n, got, want)
		}
	}

	s := gateway.Scope{Account: "a1"}
	m := customerModel(s, gateway.Customer{ID: "c1", AccountName: "acc", Name: "n", Telephone: "t", CountryCode: "86", Label: "l", AssociationType: "2", VerifiedStatus: "2"}, nil)
	str := func(p *string) string {
		if p == nil {
			return "<nil>"
		}
		return *p
	}
	got := []string{m.ID, m.CustomerID, m.AccountName, str(m.Name), str(m.AssociatedOn), str(m.Label), str(m.Level),
		str(m.Contact.Telephone), str(m.Contact.Email), str(m.Contact.CountryCode), string(*m.AssociationType), string(m.RealNameStatus)}
	want := []string{globalID("Customer", s, "c1"), "c1", "acc", "n", "<nil>", "l", "<nil>", "t", "<nil>", "86", string(model.AssociationTypeResale), string(model.RealNameStatusVerified)}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("customer:\n got %v\nwant %v", got, want)
	}
	if m2 := customerModel(s, gateway.Customer{ID: "c2"}, nil); m2.AssociationType != nil || m2.RealNameStatus != model.RealNameStatusUnknown || m2.Contact == nil {
		t.Errorf("empty customer: %+v", m2)
	}

	b := customerBalance(&gateway.CustomerBalance{Available: gateway.Money{Currency: "CNY"}, Debt: gateway.Money{Currency: "USD"}})
	if b.Available.Currency != "CNY" || b.Debt.Currency != "USD" {
		t.Errorf("balance: %+v %+v", b.Available, b.Debt)
	}
	tag := newCustomerTag(&gateway.NewCustomerTag{Tag: "Y", TagType: "SMB"})
	if tag.Value != model.NewCustomerTagValueYes || str(tag.TagType) != "SMB" || tag.EffectiveTime != nil || tag.ExpireTime != nil {
		t.Errorf("tag: %+v", tag)
	}
}
