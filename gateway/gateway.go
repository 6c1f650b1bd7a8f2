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

// Customer is a customer as ListSubCustomers describes it.
type Customer struct {
	ID              string
	AccountName     string
	Name            string
	AssociatedOn    string
	AssociationType string // "1" consultant, "2" resale
	Label           string
	Telephone       string
	Email           string
	CountryCode     string
	VerifiedStatus  string // -1 unverified, 0 in review, 1 failed, 2 verified
	Frozen          bool
	Level           string
}

// CustomerQuery filters ListSubCustomers.
type CustomerQuery struct {
	Page
	Name            string
	AssociationType string
	Label           string
	AssociatedFrom  string
	AssociatedTo    string
	CustomerID      string
}

// CustomerList is one page of customers and the total.
type CustomerList struct {
	Customers []Customer
	Total     int
}

// CustomerBalance is a customer's available amount and debt.
type CustomerBalance struct {
	CustomerID string
	Available  Money
	Debt       Money
}

// NewCustomerTag is a customer's new-customer tag.
type NewCustomerTag struct {
	CustomerID    string
	Tag           string // Y, N, UNDETERMINED
	TagType       string
	EffectiveTime string
	ExpireTime    string
}

// Reseller is a tier-2 reseller as ListIndirectPartners describes it.
type Reseller struct {
	ID                 string
	AccountName        string
	Name               string
	Email              string
	MobilePhone        string
	AssociatedOn       string
	AccountManagerName string
}

// ResellerList is one page of resellers and the total.
type ResellerList struct {
	Resellers []Reseller
	Total     int
}

// Fund is one account of ListPartnerBalances. The upstream sends float64
// amounts; they are converted once, here, rounded to 2 decimal places.
type Fund struct {
	AccountID        string
	AccountType      int
	Amount           Money
	DesignatedAmount *Money
	CreditAmount     *Money
	Memo             string
}

// Quota is a coupon quota (own, or a child quota issued to a reseller).
type Quota struct {
	ID             string
	Type           int // 0 voucher, 1 cash
	Value          *Money
	Balance        *Money
	Status         *int
	EffectiveTime  string
	ExpireTime     string
	CreateTime     string
	ParentQuotaID  string
	ResellerID     string
	ResellerName   string
	ResellerAcctNm string
}

// QuotaList is one page of quotas and the total.
type QuotaList struct {
	Quotas []Quota
	Total  int
}

// IssuedQuotaQuery filters ListIssuedCouponQuotas.
type IssuedQuotaQuery struct {
	Page
	QuotaID       string
	ResellerID    string
	ParentQuotaID string
}

// QuotaRecord is an issue or reclaim of a child quota.
type QuotaRecord struct {
	ID, OperationType, QuotaID, ParentQuotaID string
	Amount                                    *Money
	OperationTime, Result, ResellerID         string
	Operator, Remark                          string
}

// QuotaRecordList is one page of quota records and the total.
type QuotaRecordList struct {
	Records []QuotaRecord
	Total   int
}

// Coupon is a coupon issued by a partner.
type Coupon struct {
	ID, CustomerID                        string
	Type, Status                          *int
	FaceValue, Balance                    *Money
	EffectiveTime, ExpireTime, CreateTime string
	// Memo is the issuer's remark (the upstream's promotion_plan_name);
	// only the issuing partner may see it (issue 4).
	Memo string
}

// CouponList is one page of coupons and the total.
type CouponList struct {
	Coupons []Coupon
	Total   int
}

// AccountChangeRecord is one change of a partner account.
type AccountChangeRecord struct {
	ID, TradeType, TradeTime, TradeID string
	Change, BalanceAfter              *Money
	CustomerID, AccountName           string
}

// AccountChangeRecordList is one page of account change records.
type AccountChangeRecordList struct {
	Records []AccountChangeRecord
	Total   int
}

// AdjustRecord is one allocation to or reclaim from a customer.
type AdjustRecord struct {
	TransID, CustomerID, CustomerName, OperationType string
	Amount                                           *Money
	OperationTime, Memo                              string
}

// AdjustRecordList is one page of adjust records.
type AdjustRecordList struct {
	Records []AdjustRecord
	Total   int
}

// ServiceType, ResourceType and MeasureUnit make up the catalogue.
type ServiceType struct{ Code, Name, Abbreviation string }

// ResourceType is a resource type of the catalogue.
type ResourceType struct{ Code, Name, Description, ServiceTypeCode string }

// MeasureUnit is a unit of measure of the catalogue.
type MeasureUnit struct {
	ID           int
	Name         string
	Abbreviation string
	MeasureType  int
}
