package resolvers

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"partnergraph/apierr"
	"partnergraph/gateway"
	"partnergraph/graph/model"
	"partnergraph/identity"
	"partnergraph/loader"
)

// upstreamDate turns a YYYY-MM-DD filter into the upstream's UTC time form.
func upstreamDate(field string, v *string, endOfDay bool) (string, error) {
	if v == nil || *v == "" {
		return "", nil
	}
	d, err := time.Parse(time.DateOnly, *v)
	if err != nil {
		return "", apierr.Errorf(apierr.CodeBadUserInput, "%s must be a date like 2026-01-31", field)
	}
	if endOfDay {
		d = d.Add(24*time.Hour - time.Second)
	}
	return d.UTC().Format("2006-01-02T15:04:05Z"), nil
}

func customerQuery(p gateway.Page, f *model.CustomerFilter, only string) (gateway.CustomerQuery, error) {
	q := gateway.CustomerQuery{Page: p, CustomerID: only}
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
		return q, apierr.Errorf(apierr.CodeBadUserInput, "filter.associatedFrom is after filter.associatedTo")
	}
	if f.Name != nil {
		q.Name = *f.Name
	}
	if f.Label != nil {
		q.Label = *f.Label
	}
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
	l, err := r.Up.ListCustomers(ctx, s, q)
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
	conn := r.withPendingEdges(ctx, s, q, customerConnection(r.customerFields(ctx), s, p, l)) // lifecycle.go: customers still associating
	r.prefetchPageFields(ctx, conn)
	return conn, nil
}

// fetchCustomer reads one customer of scope s, or NOT_FOUND.
func (r *Resolver) fetchCustomer(ctx context.Context, s gateway.Scope, id string) (*model.Customer, error) {
	l, err := r.Up.ListCustomers(ctx, s, gateway.CustomerQuery{Page: gateway.Page{Limit: 1}, CustomerID: id})
	if err != nil {
		return nil, err
	}
	for _, c := range l.Customers {
		if c.ID == id {
			m := customer(r.customerFields(ctx), s, c, nil)
			r.prefetchCustomerFields(ctx, m)
			return m, nil
		}
	}
	return r.pendingCustomer(ctx, s, id) // lifecycle.go: created, association still pending, else NOT_FOUND
}

// fetchReseller reads the reseller addressed by s (tier-1 keys + id).
func (r *Resolver) fetchReseller(ctx context.Context, s gateway.Scope) (*model.Reseller, error) {
	l, err := r.Up.ListResellers(ctx, gateway.Scope{Account: s.Account}, gateway.Page{Limit: 1}, "", s.Indirect)
	if err != nil {
		return nil, err
	}
	for _, rs := range l.Resellers {
		if rs.ID == s.Indirect {
			return reseller(gateway.Scope{Account: s.Account}, rs, nil), nil
		}
	}
	return nil, apierr.NotFound("reseller")
}

// node resolves a global ID after checking the caller may use its scope.
func (r *Resolver) node(ctx context.Context, gid string) (model.Node, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	typ, s, id, ok := parseGlobalID(gid)
	if !ok {
		return nil, apierr.NotFound("node")
	}
	switch typ {
	case "Customer":
		if !r.canUse(ctx, p, s, id) {
			return nil, apierr.NotFound("node")
		}
		c, err := r.fetchCustomer(ctx, s, id)
		if err != nil && apierr.ErrorCode(err) == apierr.CodeNotFound {
			return nil, apierr.NotFound("node")
		}
		return c, err
	case "Reseller":
		if s.Indirect != id || p.Role == identity.RoleCustomer || !r.canUse(ctx, p, s, "") {
			return nil, apierr.NotFound("node")
		}
		rs, err := r.fetchReseller(ctx, s)
		if err != nil && apierr.ErrorCode(err) == apierr.CodeNotFound {
			return nil, apierr.NotFound("node")
		}
		return rs, err
	case "Partner":
		if p.Role != identity.RolePartner || s.Indirect != "" || s.Account != id || id != p.PartnerID {
			return nil, apierr.NotFound("node")
		}
		a, err := r.partnerAccount(p)
		if err != nil {
			return nil, apierr.NotFound("node")
		}
		return partner(a), nil
	case "Order", "Resource": // issue 5 (commerce.go)
		return r.commerceNode(ctx, p, typ, s, id)
	case "CouponQuota":
		if p.Role == identity.RoleCustomer || !r.canUse(ctx, p, s, "") {
			return nil, apierr.NotFound("node")
		}
		l, err := r.Up.CouponQuotas(ctx, s, []string{id}, gateway.Page{Limit: 1})
		if err != nil {
			if apierr.ErrorCode(err) == apierr.CodeNotFound {
				return nil, apierr.NotFound("node")
			}
			return nil, err
		}
		for _, q := range l.Quotas {
			if q.ID == id {
				return quota(s, q), nil
			}
		}
	}
	return nil, apierr.NotFound("node")
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

func (r *Resolver) accountChangeRecords(ctx context.Context, pt *model.Partner, bt *model.BalanceType, first *int, after *string) (*model.AccountChangeRecordConnection, error) {
	p, err := window(first, after)
	if err != nil {
		return nil, err
	}
	balanceType := "BALANCE_TYPE_DEBIT"
	if bt != nil && *bt == model.BalanceTypeCredit {
		balanceType = "BALANCE_TYPE_CREDIT"
	}
	l, err := r.Up.AccountChangeRecords(ctx, pt.Scope, balanceType, p)
	if err != nil {
		return nil, err
	}
	conn := &model.AccountChangeRecordConnection{Edges: make([]*model.AccountChangeRecordEdge, len(l.Records)), TotalCount: l.Total, PageInfo: pageInfo(p, len(l.Records), l.Total)}
	for i, rec := range l.Records {
		conn.Edges[i] = &model.AccountChangeRecordEdge{Cursor: cursor(p.Offset + i), Node: &model.AccountChangeRecord{
			ID: rec.ID, TradeType: opt(rec.TradeType), TradeTime: opt(rec.TradeTime), TradeID: opt(rec.TradeID),
			Change: optMoney(rec.Change), BalanceAfter: optMoney(rec.BalanceAfter), CustomerID: opt(rec.CustomerID), AccountName: opt(rec.AccountName),
		}}
	}
	return conn, nil
}

// customerFields answers Customer.balance and Customer.newCustomerTag for
// the customers one resolver made (graph/model/customer.go): through the
// request's loaders, under that resolver's context.
type customerFields struct {
	ctx context.Context
	l   *loader.Loaders
}

func (r *Resolver) customerFields(ctx context.Context) model.CustomerFields {
	return &customerFields{ctx: ctx, l: r.loaders(ctx)}
}

func (f *customerFields) CustomerBalance(c *model.Customer) (*model.CustomerBalance, error) {
	b, err := f.l.CustomerBalance(f.ctx, c.Scope, c.CustomerID, c.Page)
	if err != nil || b == nil {
		return nil, err
	}
	return customerBalance(b), nil
}

func (f *customerFields) CustomerNewTag(c *model.Customer) (*model.NewCustomerTag, error) {
	t, err := f.l.NewCustomerTag(f.ctx, c.Scope, c.CustomerID, c.Page)
	if err != nil || t == nil {
		return nil, err
	}
	return newCustomerTag(t), nil
}

// prefetchPageFields starts the page's balance and tag reads side by side
// when the selection under edges.node asks for both; fields that were not
// asked for are never read.
func (r *Resolver) prefetchPageFields(ctx context.Context, conn *model.CustomerConnection) {
	if len(conn.Edges) == 0 || conn.Edges[0].Node.Page == nil {
		return
	}
	balance, tag := requestedCustomerFields(ctx)
	r.loaders(ctx).PrefetchCustomerPage(ctx, conn.Edges[0].Node.Page, balance, tag)
}

// requestedCustomerFields reports whether the current CustomerConnection
// field selects edges.node.balance / edges.node.newCustomerTag (aliases,
// fragments and @include/@skip applied).
func requestedCustomerFields(ctx context.Context) (balance, tag bool) {
	oc, sel := currentSelection(ctx)
	if oc == nil {
		return false, false
	}
	for _, e := range graphql.CollectFields(oc, sel, []string{"CustomerConnection"}) {
		if e.Name != "edges" {
			continue
		}
		for _, n := range graphql.CollectFields(oc, e.Selections, []string{"CustomerEdge"}) {
			if n.Name == "node" {
				b, t := selectsCustomerFields(oc, n.Selections)
				balance, tag = balance || b, tag || t
			}
		}
	}
	return balance, tag
}

// currentSelection is the selection set of the field being resolved.
func currentSelection(ctx context.Context) (*graphql.OperationContext, ast.SelectionSet) {
	if !graphql.HasOperationContext(ctx) {
		return nil, nil
	}
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return nil, nil
	}
	return graphql.GetOperationContext(ctx), fc.Field.Selections
}

// selectsCustomerFields reports whether sel, a selection on a Customer (or
// on Node), asks for balance / newCustomerTag.
func selectsCustomerFields(oc *graphql.OperationContext, sel ast.SelectionSet) (balance, tag bool) {
	for _, f := range graphql.CollectFields(oc, sel, []string{"Customer", "Node"}) {
		switch f.Name {
		case "balance":
			balance = true
		case "newCustomerTag":
			tag = true
		}
	}
	return balance, tag
}

// prefetchCustomerFields queues a single customer's balance and tag reads
// together when the current field (node, viewer.customer) asks for both:
// they share the loaders' 1 ms window instead of waiting for one each.
func (r *Resolver) prefetchCustomerFields(ctx context.Context, c *model.Customer) {
	oc, sel := currentSelection(ctx)
	if oc == nil {
		return
	}
	if balance, tag := selectsCustomerFields(oc, sel); balance && tag {
		r.loaders(ctx).QueueCustomer(ctx, c.Scope, c.CustomerID)
	}
}
