package model

// This file is written by hand; the rest of graph/ is gqlgen's output.
// gqlgen.yml binds the Customer type here instead of generating it, so that
// balance and newCustomerTag can be methods without a context: gqlgen runs
// such fields on the row's own goroutine, where a resolver field would cost
// a goroutine per listed customer (about a fifth of the gateway's CPU on a
// page of 100 under load, see resolvers/perf_bench_test.go). The fields'
// reads still go through the request's loaders, by way of Fields.

import (
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
	// The page the customer was listed in, for one batch call per page.
	Page *loader.Page `json:"-"`
	// Created by createCustomer and not yet listed by the upstream (association in progress; issue 6).
	Pending bool `json:"-"`
	// The partner scope the customer belongs to.
	Scope gateway.Scope `json:"-"`
	// Fields reads balance and newCustomerTag within the request that made
	// the customer (its loaders and deadline).
	Fields CustomerFields `json:"-"`
}

// CustomerFields reads the customer fields that cost upstream calls.
type CustomerFields interface {
	CustomerBalance(c *Customer) (*CustomerBalance, error)
	CustomerNewTag(c *Customer) (*NewCustomerTag, error)
}

// Balance answers Customer.balance.
func (c *Customer) Balance() (*CustomerBalance, error) { return c.Fields.CustomerBalance(c) }

// NewCustomerTag answers Customer.newCustomerTag.
func (c *Customer) NewCustomerTag() (*NewCustomerTag, error) { return c.Fields.CustomerNewTag(c) }

func (Customer) IsNode() {}

// The opaque global ID of the object.
func (this Customer) GetID() string { return this.ID }
