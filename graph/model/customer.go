package model

// This file is written by hand; the rest of graph/ is gqlgen's output.
// gqlgen.yml binds the Customer type here instead of generating it, so that
// balance and newCustomerTag are plain methods: gqlgen resolves them on the
// row's own goroutine, where a resolver field would cost a goroutine per
// listed customer. Whoever makes a Customer reads those two fields for all
// the customers it makes at once (one upstream call per page) and records
// the results with SetBalance and SetNewCustomerTag.

import (
	"errors"

	"partnergraph/gateway"
	"partnergraph/loader"
)

// A customer account of a partner or reseller.
type Customer struct {
	// The opaque global ID.
	ID string `json:"id"`
	// The customer's account (domain) id at the upstream.
	CustomerID string `json:"customerId"`
	// The account name.
	AccountName string `json:"accountName"`
	// The real name of the customer, when known.
	Name *string `json:"name,omitempty"`
	// How the customer is associated with its partner.
	AssociationType *AssociationType `json:"associationType,omitempty"`
	// When the association started.
	AssociatedOn *string `json:"associatedOn,omitempty"`
	// The partner's label for the customer.
	Label *string `json:"label,omitempty"`
	// Customer level V0-V5.
	Level *string `json:"level,omitempty"`
	// Contact details.
	Contact *Contact `json:"contact"`
	// Whether the account is frozen.
	Frozen bool `json:"frozen"`
	// Real-name verification status.
	RealNameStatus RealNameStatus `json:"realNameStatus"`
	// The partner's own key for the customer on its sales platform.
	XaccountID *string `json:"xaccountId,omitempty"`
	// Huawei's id of the partner platform the customer was registered through.
	XaccountType *string `json:"xaccountType,omitempty"`
	// Individual or enterprise; nil when the upstream sends none.
	CustomerType *CustomerType `json:"customerType,omitempty"`
	// The page the customer was listed in, for fields read for the whole
	// page at once (on-demand resources).
	Page *loader.Page `json:"-"`
	// Created by createCustomer and not yet listed by the upstream.
	Pending bool `json:"-"`
	// The partner scope the customer belongs to.
	Scope gateway.Scope `json:"-"`

	balance result[*CustomerBalance]
	tag     result[*NewCustomerTag]
}

// result is a field's value as its maker read it.
type result[T any] struct {
	set bool
	v   T
	err error
}

// errNotRead is the answer of a field its maker did not read: a bug of the
// maker, reported as an internal error rather than as a silent null.
var errNotRead = errors.New("customer field requested but not read by the resolver that made the customer")

func (r result[T]) get() (T, error) {
	if !r.set {
		var zero T
		return zero, errNotRead
	}
	return r.v, r.err
}

// SetBalance records the customer's balance (nil: none) or why it could not
// be read.
func (c *Customer) SetBalance(b *CustomerBalance, err error) {
	c.balance = result[*CustomerBalance]{true, b, err}
}

// SetNewCustomerTag records the customer's new-customer tag (nil: none) or
// why it could not be read.
func (c *Customer) SetNewCustomerTag(t *NewCustomerTag, err error) {
	c.tag = result[*NewCustomerTag]{true, t, err}
}

// Balance answers Customer.balance.
func (c *Customer) Balance() (*CustomerBalance, error) { return c.balance.get() }

// NewCustomerTag answers Customer.newCustomerTag.
func (c *Customer) NewCustomerTag() (*NewCustomerTag, error) { return c.tag.get() }

func (Customer) IsNode() {}

// The opaque global ID of the object.
func (this Customer) GetID() string { return this.ID }
