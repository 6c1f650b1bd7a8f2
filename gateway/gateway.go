// Package gateway is partnergraph's access to the Huawei Cloud partner
// (BSS v2) APIs: the only package that imports huaweicloud-sdk-go-v3. Every
// method takes a context first, bounds the SDK call by it (the SDK takes no
// context) and returns the gateway's own types and *apierr.Error values.
package gateway

import (
	"github.com/shopspring/decimal"
)

// Kind is the kind of a partner account.
type Kind string

// Partner kinds as the upstream knows them.
const (
	KindTier1    Kind = "tier1"    // tier-1 distributor: has resellers
	KindTier2    Kind = "tier2"    // tier-2 reseller under a tier-1
	KindProvider Kind = "provider" // solution provider: no resellers
)

// Account is a partner account the gateway knows about. AK/SK are set for
// the accounts whose keys we hold (in live mode: one).
type Account struct {
	ID       string
	Name     string
	Kind     Kind
	ParentID string // tier-2 only: its tier-1
	AK, SK   string
	// AgencyName is the agency the partner's customers delegated to it:
	// customer tokens are obtained with it (IAM assume_role, BSS-API.md §2.5).
	AgencyName string
}

// Scope says how to address the upstream for one partner: sign with the
// AK/SK of Account and, when acting on a tier-2 reseller's behalf, pass its
// id as indirect_partner_id. It is comparable, so it can key loaders.
type Scope struct {
	Account  string // the partner whose AK/SK sign the call
	Indirect string // the reseller acted for, or ""
}

// PartnerID is the partner the scope addresses: the reseller or the account.
func (s Scope) PartnerID() string {
	if s.Indirect != "" {
		return s.Indirect
	}
	return s.Account
}

// Money is an amount and its currency.
type Money struct {
	Amount   decimal.Decimal
	Currency string
}

// Page is an offset/limit window, as the upstream pages.
type Page struct {
	Offset, Limit int
}

// MaxPageSize is the largest page of ListSubCustomers and most other lists
// (BSS documentation).
const MaxPageSize = 100

// yuan is the measure id of money amounts; currency defaults to CNY.
const defaultCurrency = "CNY"

func ptr[T any](v T) *T { return &v }

func optStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func i32(p *int32) int {
	if p == nil {
		return 0
	}
	return int(*p)
}

func optInt(p *int32) *int {
	if p == nil {
		return nil
	}
	v := int(*p)
	return &v
}

func currency(p *string) string {
	if p == nil || *p == "" {
		return defaultCurrency
	}
	return *p
}

func page(p Page) (offset, limit *int32) {
	l := p.Limit
	if l <= 0 || l > MaxPageSize {
		l = MaxPageSize
	}
	return ptr(int32(p.Offset)), ptr(int32(l))
}

// floatMoney converts the float64 amounts a few upstream models use. This is
// the only place a float becomes money: rounded to 2 decimal places (分).
func floatMoney(f float64, cur string) Money {
	return Money{Amount: decimal.NewFromFloat(f).Round(2), Currency: cur}
}

func optFloatMoney(f *float64, cur string) Money {
	if f == nil {
		return Money{Amount: decimal.Zero, Currency: cur}
	}
	return floatMoney(*f, cur)
}

func decMoney(d *decimal.Decimal, cur string) *Money {
	if d == nil {
		return nil
	}
	return &Money{Amount: *d, Currency: cur}
}

// strMoney parses the string amounts of the account records; a malformed
// amount becomes null rather than a wrong number.
func strMoney(s *string, cur string) *Money {
	if s == nil || *s == "" {
		return nil
	}
	d, err := decimal.NewFromString(*s)
	if err != nil {
		return nil
	}
	return &Money{Amount: d, Currency: cur}
}

func decStr(s *string) (decimal.Decimal, bool) {
	if s == nil || *s == "" {
		return decimal.Zero, false
	}
	d, err := decimal.NewFromString(*s)
	return d, err == nil
}
