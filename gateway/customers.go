package gateway

// Customers: the partner's customers (ListSubCustomers) and their
// new-customer tags. Their balances are funds (funds.go); registering a
// customer is registration (registration.go).

import (
	"context"
	"slices"

	bss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
)

// MaxTagBatch is how many customer_ids one ListSubCustomerNewTag call takes
// (BSS documentation).
const MaxTagBatch = 200

// Customer is a customer as ListSubCustomers describes it.
type Customer struct {
	ID              string
	AccountName     string
	Name            string
	AssociatedOn    string
	AssociationType string // AssociationConsultant or AssociationResale
	Label           string
	Telephone       string
	Email           string
	CountryCode     string
	VerifiedStatus  string // RealNameUnverified … RealNameVerified
	Frozen          bool
	Level           string
	// XAccountID is the partner's own key for the customer on its sales
	// platform, XAccountType the platform's id (Huawei's).
	XAccountID, XAccountType string
	// CustomerType is CustomerTypeNone, CustomerTypeIndividual or
	// CustomerTypeEnterprise; nil when the upstream sent none.
	CustomerType *int
}

// Customer types (customer_type): set by real-name authentication.
const (
	CustomerTypeNone       = -1
	CustomerTypeIndividual = 0
	CustomerTypeEnterprise = 1
)

// Association types (association_type): how a customer is associated
// with its partner.
const (
	AssociationConsultant = "1" // consultant sale: the customer pays its own bills
	AssociationResale     = "2" // resale: the partner funds the customer
)

// Real-name statuses (verified_status).
const (
	RealNameUnverified = "-1"
	RealNameInReview   = "0"
	RealNameFailed     = "1"
	RealNameVerified   = "2"
)

// CustomerQuery filters ListSubCustomers.
type CustomerQuery struct {
	Window
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

// NewCustomerTag is a customer's new-customer tag.
type NewCustomerTag struct {
	CustomerID    string
	Tag           string // Y, N, UNDETERMINED
	TagType       string
	EffectiveTime string
	ExpireTime    string
}

func customerFrom(ci model.CustomerInformation) Customer {
	return Customer{
		ID:              ci.CustomerId,
		AccountName:     ci.AccountName,
		Name:            str(ci.Customer),
		AssociatedOn:    str(ci.AssociatedOn),
		AssociationType: str(ci.AssociationType),
		Label:           str(ci.Label),
		Telephone:       str(ci.Telephone),
		Email:           str(ci.Email),
		CountryCode:     str(ci.CountryCode),
		VerifiedStatus:  str(ci.VerifiedStatus),
		Frozen:          i32(ci.IsFrozen) == 1,
		Level:           str(ci.CustomerLevel),
		XAccountID:      str(ci.XaccountId),
		XAccountType:    str(ci.XaccountType),
		CustomerType:    optInt(ci.CustomerType),
	}
}

func newCustomerTagFrom(t model.NewCustomerTagItem) NewCustomerTag {
	return NewCustomerTag{CustomerID: str(t.CustomerId), Tag: str(t.NewCustomerTag), TagType: str(t.CustomerTagType),
		EffectiveTime: str(t.EffectiveTime), ExpireTime: str(t.ExpireTime)}
}

// ListCustomers lists the customers of the scope's partner (ListSubCustomers).
func (c *Client) ListCustomers(ctx context.Context, s Scope, q CustomerQuery) (CustomerList, error) {
	off, lim := page(q.Window)
	req := &model.ListSubCustomersRequest{Body: &model.QuerySubCustomerListReq{
		AccountName:       optStr(q.Name),
		Offset:            off,
		Limit:             lim,
		Label:             optStr(q.Label),
		AssociationType:   optStr(q.AssociationType),
		AssociatedOnBegin: optStr(q.AssociatedFrom),
		AssociatedOnEnd:   optStr(q.AssociatedTo),
		CustomerId:        optStr(q.CustomerID),
		IndirectPartnerId: optStr(s.Indirect),
	}}
	resp, err := call(ctx, c, s, "ListSubCustomers", (*bss.BssClient).ListSubCustomers, req)
	if err != nil {
		return CustomerList{}, err
	}
	return CustomerList{Customers: convert(resp.CustomerInfos, customerFrom), Total: i32(resp.Count)}, nil
}

// NewCustomerTags reads the new-customer tags of ids, MaxTagBatch per call
// (ListSubCustomerNewTag).
func (c *Client) NewCustomerTags(ctx context.Context, s Scope, ids []string) (map[string]NewCustomerTag, error) {
	out := make(map[string]NewCustomerTag, len(ids))
	for chunk := range slices.Chunk(ids, MaxTagBatch) {
		chunk = slices.Clone(chunk)
		req := &model.ListSubCustomerNewTagRequest{Body: &model.ListSubCustomerNewTagReq{
			CustomerIds: &chunk, Offset: ptr(int32(0)), Limit: ptr(int32(MaxTagBatch)), IndirectPartnerId: optStr(s.Indirect),
		}}
		resp, err := call(ctx, c, s, "ListSubCustomerNewTag", (*bss.BssClient).ListSubCustomerNewTag, req)
		if err != nil {
			return nil, err
		}
		for _, t := range rows(resp.NewCustomerTags) {
			out[str(t.CustomerId)] = newCustomerTagFrom(t)
		}
	}
	return out, nil
}
