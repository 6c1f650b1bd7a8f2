package resolvers

// Customers are made in one place (customerModel) and their upstream-read
// fields, balance and newCustomerTag, are read in another
// (readCustomerFields): whoever makes customers (a page, node(id:),
// viewer.customer, a mutation's payload) reads those two fields for all of
// them at once, only when the current selection asks for them, and hands
// each model its result.

import (
	"context"
	"sync"
	"time"

	"partnergraph/apierr"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"partnergraph/gateway"
	"partnergraph/graph/model"
	"partnergraph/loader"
)

// upstreamDate turns a YYYY-MM-DD filter into the upstream's UTC time form.
func upstreamDate(field string, v *string, endOfDay bool) (string, error) {
	if v == nil || *v == "" {
		return "", nil
	}
	d, err := time.Parse(time.DateOnly, *v)
	if err != nil {
		return "", badInput("%s must be a date like 2026-01-31", field)
	}
	if endOfDay {
		d = d.Add(24*time.Hour - time.Second)
	}
	return d.UTC().Format("2006-01-02T15:04:05Z"), nil
}

func customerQuery(p gateway.Window, f *model.CustomerFilter, only string) (gateway.CustomerQuery, error) {
	q := gateway.CustomerQuery{Window: p, CustomerID: only}
	if f == nil {
		return q, nil
	}
	var err error
	if q.AssociatedFrom, err = upstreamDate("filter.associatedFrom", f.AssociatedFrom, false); err != nil {
		return q, err
	}
	if q.AssociatedTo, err = upstreamDate("filter.associatedTo", f.AssociatedTo, true); err != nil {
		return q, err
	}
	if q.AssociatedFrom != "" && q.AssociatedTo != "" && q.AssociatedFrom > q.AssociatedTo {
		return q, badInput("filter.associatedFrom is after filter.associatedTo")
	}
	q.Name, q.Label = deref(f.Name), deref(f.Label)
	q.AssociationType = associationCode(f.AssociationType)
	return q, nil
}

// listCustomers pages the customers of scope s; only, when set, narrows the
// list to that one customer (a customer principal).
func (r *Resolver) listCustomers(ctx context.Context, s gateway.Scope, first *int, after *string, f *model.CustomerFilter, only string) (*model.CustomerConnection, error) {
	p, err := window(first, after)
	if err != nil {
		return nil, err
	}
	q, err := customerQuery(p, f, only)
	if err != nil {
		return nil, err
	}
	l, err := r.upstream.ListCustomers(ctx, s, q)
	if err != nil {
		return nil, err
	}
	if only != "" { // never trust a filter to be applied upstream
		kept := l.Customers[:0]
		for _, c := range l.Customers {
			if c.ID == only {
				kept = append(kept, c)
			}
		}
		l.Customers, l.Total = kept, len(kept)
	}
	ids := make([]string, len(l.Customers))
	for i, c := range l.Customers {
		ids[i] = c.ID
	}
	pg := loader.NewPage(s, ids)
	conn := &model.CustomerConnection{Edges: make([]*model.CustomerEdge, len(l.Customers)), TotalCount: l.Total, PageInfo: pageInfo(p, len(l.Customers), l.Total)}
	for i, c := range l.Customers {
		conn.Edges[i] = &model.CustomerEdge{Cursor: cursor(p.Offset + i), Node: customerModel(s, c, pg)}
	}
	conn = r.withPendingEdges(ctx, s, q, conn) // registration.go: customers still associating
	ms := make([]*model.Customer, len(conn.Edges))
	for i, e := range conn.Edges {
		ms[i] = e.Node
	}
	r.readCustomerFields(ctx, s, ms)
	return conn, nil
}

// fetchCustomer reads one customer of scope s, or NOT_FOUND.
func (r *Resolver) fetchCustomer(ctx context.Context, s gateway.Scope, id string) (*model.Customer, error) {
	l, err := r.upstream.ListCustomers(ctx, s, gateway.CustomerQuery{Window: gateway.Window{Limit: 1}, CustomerID: id})
	if err != nil {
		return nil, err
	}
	for _, c := range l.Customers {
		if c.ID == id {
			return r.customerOf(ctx, s, c), nil
		}
	}
	return r.pendingCustomer(ctx, s, id) // registration.go: created, association still pending, else NOT_FOUND
}

// customerOf makes the model of one customer, with its selected fields read.
func (r *Resolver) customerOf(ctx context.Context, s gateway.Scope, c gateway.Customer) *model.Customer {
	m := customerModel(s, c, nil)
	r.readCustomerFields(ctx, s, []*model.Customer{m})
	return m
}

// readCustomerFields reads the balance and new-customer tag of ms, all
// under scope s, when the current field's selection asks for them: each in
// one batch for all of ms, the two side by side.
func (r *Resolver) readCustomerFields(ctx context.Context, s gateway.Scope, ms []*model.Customer) {
	balance, tag := wantsCustomerFields(ctx)
	if len(ms) == 0 || (!balance && !tag) {
		return
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.CustomerID
	}
	l := loader.For(ctx)
	var wg sync.WaitGroup
	if balance {
		wg.Go(func() {
			bs, err := l.CustomerBalances(ctx, s, ids)
			for i, m := range ms {
				var b *model.CustomerBalance
				if err == nil && bs[i] != nil {
					b = customerBalance(bs[i])
				}
				m.SetBalance(b, err)
			}
		})
	}
	if tag {
		wg.Go(func() {
			ts, err := l.NewCustomerTags(ctx, s, ids)
			for i, m := range ms {
				var t *model.NewCustomerTag
				if err == nil && ts[i] != nil {
					t = newCustomerTag(ts[i])
				}
				m.SetNewCustomerTag(t, err)
			}
		})
	}
	wg.Wait()
}

// maxSelectionDepth bounds how deep wantsCustomerFields looks below the
// current field (a page's customers are at edges.node, depth 2).
const maxSelectionDepth = 4

// wantsCustomerFields reports whether the current field's selection asks,
// at any depth up to maxSelectionDepth, for a Customer's balance or
// newCustomerTag (aliases, fragments and @include/@skip applied).
func wantsCustomerFields(ctx context.Context) (balance, tag bool) {
	if !graphql.HasOperationContext(ctx) {
		return false, false
	}
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Definition == nil {
		return false, false
	}
	oc := graphql.GetOperationContext(ctx)
	var walk func(sel ast.SelectionSet, typ string, depth int)
	walk = func(sel ast.SelectionSet, typ string, depth int) {
		for _, f := range graphql.CollectFields(oc, sel, []string{typ, "Customer"}) {
			if f.ObjectDefinition != nil && f.ObjectDefinition.Name == "Customer" {
				switch f.Name {
				case "balance":
					balance = true
				case "newCustomerTag":
					tag = true
				}
			}
			if len(f.Selections) > 0 && f.Definition != nil && depth < maxSelectionDepth {
				walk(f.Selections, f.Definition.Type.Name(), depth+1)
			}
		}
	}
	walk(fc.Field.Selections, fc.Field.Definition.Type.Name(), 1)
	return balance, tag
}

func newCustomerTag(t *gateway.NewCustomerTag) *model.NewCustomerTag {
	v := model.NewCustomerTagValueUndetermined
	switch t.Tag {
	case "Y":
		v = model.NewCustomerTagValueYes
	case "N":
		v = model.NewCustomerTagValueNo
	}
	b := &struct { // one allocation per row
		m    model.NewCustomerTag
		strs [3]string
	}{}
	b.m = model.NewCustomerTag{Value: v, TagType: optIn(&b.strs[0], t.TagType), EffectiveTime: optIn(&b.strs[1], t.EffectiveTime), ExpireTime: optIn(&b.strs[2], t.ExpireTime)}
	return &b.m
}

var associationTypes = map[string]model.AssociationType{gateway.AssociationConsultant: model.AssociationTypeConsultant, gateway.AssociationResale: model.AssociationTypeResale}

func associationCode(t *model.AssociationType) string {
	if t == nil {
		return ""
	}
	for k, v := range associationTypes {
		if v == *t {
			return k
		}
	}
	return ""
}

var customerTypes = map[int]model.CustomerType{
	gateway.CustomerTypeNone: model.CustomerTypeNone, gateway.CustomerTypeIndividual: model.CustomerTypeIndividual,
	gateway.CustomerTypeEnterprise: model.CustomerTypeEnterprise,
}

var realNameStatuses = map[string]model.RealNameStatus{
	gateway.RealNameUnverified: model.RealNameStatusUnverified, gateway.RealNameInReview: model.RealNameStatusInReview,
	gateway.RealNameFailed: model.RealNameStatusFailed, gateway.RealNameVerified: model.RealNameStatusVerified,
}

// customerBlock is one customer's model with what it points to, allocated
// together: a page of 100 customers is otherwise ~1 000 small allocations.
type customerBlock struct {
	m        model.Customer
	contact  model.Contact
	assoc    model.AssociationType
	custType model.CustomerType
	strs     [9]string
}

// optIn is opt without an allocation: *slot holds v when it is not empty.
func optIn(slot *string, v string) *string {
	if v == "" {
		return nil
	}
	*slot = v
	return slot
}

// customerModel makes the model of c, read under s; p is the page it was
// listed in (nil for a single customer).
func customerModel(s gateway.Scope, c gateway.Customer, p *loader.Page) *model.Customer {
	b := &customerBlock{}
	b.contact = model.Contact{Telephone: optIn(&b.strs[0], c.Telephone), Email: optIn(&b.strs[1], c.Email), CountryCode: optIn(&b.strs[2], c.CountryCode)}
	b.m = model.Customer{
		ID: globalID("Customer", s, c.ID), CustomerID: c.ID, AccountName: c.AccountName, Name: optIn(&b.strs[3], c.Name),
		AssociatedOn: optIn(&b.strs[4], c.AssociatedOn), Label: optIn(&b.strs[5], c.Label), Level: optIn(&b.strs[6], c.Level),
		Contact: &b.contact, Frozen: c.Frozen, RealNameStatus: model.RealNameStatusUnknown, Scope: s, Page: p,
		XaccountID: optIn(&b.strs[7], c.XAccountID), XaccountType: optIn(&b.strs[8], c.XAccountType),
	}
	m := &b.m
	if c.CustomerType != nil {
		if t, ok := customerTypes[*c.CustomerType]; ok {
			b.custType = t
			m.CustomerType = &b.custType
		}
	}
	if t, ok := associationTypes[c.AssociationType]; ok {
		b.assoc = t
		m.AssociationType = &b.assoc
	}
	if st, ok := realNameStatuses[c.VerifiedStatus]; ok {
		m.RealNameStatus = st
	}
	return m
}

// Look-up by the partner's own customer key (xaccount_id): the upstream
// has no such filter (QuerySubCustomerListReq), so the gateway reads the
// scope's customer list, 100 per call, up to maxXAccountPages pages, and
// remembers every key it sees on the way, per scope, for xaccountTTL
// (bounded: maxXAccounts keys). createCustomer also remembers the keys it
// registers. A remembered key costs one call (the customer is read again,
// fresh, and must still carry the key); a key not remembered costs the scan
// up to the page that holds it, shared by the requests looking for it at
// the same time.

// xaccountKey is a customer key of a partner's sales platform in one scope.
type xaccountKey struct {
	scope gateway.Scope
	id    string
}

const (
	xaccountTTL      = 2 * time.Minute
	maxXAccounts     = 100_000
	maxXAccountPages = 100
)

// rememberXAccount remembers that key xid of scope s is customer id.
func (r *Resolver) rememberXAccount(s gateway.Scope, xid, id string) {
	if xid != "" && id != "" {
		r.xaccounts.Add(xaccountKey{s, xid}, id)
	}
}

// customerByXAccount finds the customer of scope s registered with xid,
// or NOT_FOUND.
func (r *Resolver) customerByXAccount(ctx context.Context, s gateway.Scope, xid string) (*model.Customer, error) {
	k := xaccountKey{s, xid}
	if id, ok := r.xaccounts.Get(k); ok {
		c, err := r.fetchCustomer(ctx, s, id) // the customer now, or the one createCustomer made (pending)
		switch {
		case err == nil && c.Pending:
			c.XaccountID = &xid
			return c, nil
		case err == nil && deref(c.XaccountID) == xid:
			return c, nil
		case err != nil && apierr.ErrorCode(err) != apierr.CodeNotFound:
			return nil, err
		}
		r.xaccounts.Remove(k)
	}
	v, err, _ := r.xaccountScans.Do(s.Account+"\x00"+s.Indirect+"\x00"+xid, func() (any, error) { return r.scanXAccounts(ctx, s, xid) })
	if err != nil {
		return nil, err
	}
	return r.customerOf(ctx, s, v.(gateway.Customer)), nil
}

// scanXAccounts reads the customers of s until one carries xid,
// remembering every key on the way.
func (r *Resolver) scanXAccounts(ctx context.Context, s gateway.Scope, xid string) (gateway.Customer, error) {
	for pg := 0; pg < maxXAccountPages; pg++ {
		l, err := r.upstream.ListCustomers(ctx, s, gateway.CustomerQuery{Window: gateway.Window{Offset: pg * gateway.MaxPageSize, Limit: gateway.MaxPageSize}})
		if err != nil {
			return gateway.Customer{}, err
		}
		found := -1
		for i, c := range l.Customers {
			r.rememberXAccount(s, c.XAccountID, c.ID)
			if found < 0 && c.XAccountID == xid {
				found = i
			}
		}
		if found >= 0 {
			return l.Customers[found], nil
		}
		if len(l.Customers) < gateway.MaxPageSize || (pg+1)*gateway.MaxPageSize >= l.Total {
			break
		}
	}
	return gateway.Customer{}, apierr.NotFound("customer")
}
