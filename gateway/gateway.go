// Package gateway is partnergraph's access to the Huawei Cloud partner
// (BSS v2) and service-ticket (OSM v2) APIs: the only package that imports
// huaweicloud-sdk-go-v3 (and huaweicloud-sdk-go-obs, for the partners'
// buckets). Every method takes a context first, bounds the SDK call by it
// (the SDK takes no context) and returns the gateway's own types and
// *apierr.Error values.
//
// One domain has one name in every layer: the SDK calls of a domain, its
// types and their conversion from the SDK's models live in the file named
// after schema/<domain>.graphqls (customers.go, resellers.go, funds.go,
// coupons.go, catalogue.go, prices.go, orders.go, resources.go,
// registration.go, tickets.go). client.go builds the SDK clients and runs
// every call (custtoken/ gets the customer tokens of customer-only
// operations), obs.go reaches the partners' OBS buckets with Huawei's OBS
// SDK (real-name attachments: presigned uploads and their checks),
// reconcile.go
// establishes the outcome of a money move whose call ended without an
// answer, and requestid.go records the upstream request ids of audited
// calls. gateway.go holds what the domains share: partner accounts,
// scopes, money, pages and the small conversions from the SDK's optional
// fields.
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
	// OBS is the partner's bucket for real-name attachments (obs.go); the
	// zero value: none, no uploads.
	OBS Bucket
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

// Money is an amount and its currency. Amounts are decimals: the few
// upstream models that send floats are converted once, by floatMoney.
type Money struct {
	Amount   decimal.Decimal
	Currency string
}

// Window is an offset/limit window, as the upstream pages.
type Window struct {
	Offset, Limit int
}

// MaxPageSize is the largest page of ListSubCustomers and most other lists
// (BSS documentation).
const MaxPageSize = 100

// defaultCurrency is the currency of the amounts the upstream sends
// without one.
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

// page is the upstream's offset and limit of p; a limit out of range is
// the largest page.
func page(p Window) (offset, limit *int32) {
	l := p.Limit
	if l <= 0 || l > MaxPageSize {
		l = MaxPageSize
	}
	return ptr(int32(p.Offset)), ptr(int32(l))
}

// rows is the list an SDK response holds behind a pointer, nil when the
// upstream sent none.
func rows[R any](p *[]R) []R {
	if p == nil {
		return nil
	}
	return *p
}

// convert converts the rows of an SDK list into domain values, one conv
// call a row; no rows give a nil slice.
func convert[R, V any](p *[]R, conv func(R) V) []V {
	rs := rows(p)
	if len(rs) == 0 {
		return nil
	}
	out := make([]V, len(rs))
	for i, r := range rs {
		out[i] = conv(r)
	}
	return out
}

// floatMoney converts the float64 amounts a few upstream models use. This is
// the only place a float becomes money: rounded to 2 decimal places (分).
func floatMoney(f float64, cur string) Money {
	return Money{Amount: decimal.NewFromFloat(f).Round(2), Currency: cur}
}

// optFloatMoney is floatMoney of an optional amount, zero when absent.
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

// decStr parses the string amounts of some upstream models; ok is false
// for an absent or malformed amount.
func decStr(s *string) (d decimal.Decimal, ok bool) {
	if s == nil || *s == "" {
		return decimal.Zero, false
	}
	d, err := decimal.NewFromString(*s)
	return d, err == nil
}

// strMoney is decStr as money: a malformed amount becomes null rather than
// a wrong number.
func strMoney(s *string, cur string) *Money {
	d, ok := decStr(s)
	if !ok {
		return nil
	}
	return &Money{Amount: d, Currency: cur}
}
