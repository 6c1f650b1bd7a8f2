package resolvers

import (
	"partnergraph/gateway"
	"partnergraph/graph/model"
	"partnergraph/loader"
)

func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func money(m gateway.Money) *model.Money {
	return &model.Money{Amount: m.Amount, Currency: m.Currency}
}

func optMoney(m *gateway.Money) *model.Money {
	if m == nil {
		return nil
	}
	return money(*m)
}

func pageInfo(p gateway.Page, n, total int) *model.PageInfo {
	pi := &model.PageInfo{HasPreviousPage: p.Offset > 0, HasNextPage: p.Offset+n < total}
	if n > 0 {
		pi.StartCursor, pi.EndCursor = opt(cursor(p.Offset)), opt(cursor(p.Offset+n-1))
	}
	return pi
}

var associationTypes = map[string]model.AssociationType{"1": model.AssociationTypeConsultant, "2": model.AssociationTypeResale}

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

var realNameStatuses = map[string]model.RealNameStatus{
	"-1": model.RealNameStatusUnverified, "0": model.RealNameStatusInReview, "1": model.RealNameStatusFailed, "2": model.RealNameStatusVerified,
}

// customerBlock is one customer's model with what it points to, allocated
// together: a page of 100 customers is otherwise ~1 000 small allocations.
type customerBlock struct {
	m       model.Customer
	contact model.Contact
	assoc   model.AssociationType
	strs    [7]string
}

// optIn is opt without an allocation: *slot holds v when it is not empty.
func optIn(slot *string, v string) *string {
	if v == "" {
		return nil
	}
	*slot = v
	return slot
}

func customer(f model.CustomerFields, s gateway.Scope, c gateway.Customer, p *loader.Page) *model.Customer {
	b := &customerBlock{}
	b.contact = model.Contact{Telephone: optIn(&b.strs[0], c.Telephone), Email: optIn(&b.strs[1], c.Email), CountryCode: optIn(&b.strs[2], c.CountryCode)}
	b.m = model.Customer{
		ID: globalID("Customer", s, c.ID), CustomerID: c.ID, AccountName: c.AccountName, Name: optIn(&b.strs[3], c.Name),
		AssociatedOn: optIn(&b.strs[4], c.AssociatedOn), Label: optIn(&b.strs[5], c.Label), Level: optIn(&b.strs[6], c.Level),
		Contact: &b.contact, Frozen: c.Frozen, RealNameStatus: model.RealNameStatusUnknown, Scope: s, Page: p, Fields: f,
	}
	m := &b.m
	if t, ok := associationTypes[c.AssociationType]; ok {
		b.assoc = t
		m.AssociationType = &b.assoc
	}
	if st, ok := realNameStatuses[c.VerifiedStatus]; ok {
		m.RealNameStatus = st
	}
	return m
}

// customerBalance converts a balance with one allocation.
func customerBalance(b *gateway.CustomerBalance) *model.CustomerBalance {
	blk := &struct {
		m               model.CustomerBalance
		available, debt model.Money
	}{available: model.Money{Amount: b.Available.Amount, Currency: b.Available.Currency}, debt: model.Money{Amount: b.Debt.Amount, Currency: b.Debt.Currency}}
	blk.m = model.CustomerBalance{Available: &blk.available, Debt: &blk.debt}
	return &blk.m
}

func customerConnection(f model.CustomerFields, s gateway.Scope, p gateway.Page, l gateway.CustomerList) *model.CustomerConnection {
	ids := make([]string, len(l.Customers))
	for i, c := range l.Customers {
		ids[i] = c.ID
	}
	pg := loader.NewPage(s, ids)
	conn := &model.CustomerConnection{Edges: make([]*model.CustomerEdge, len(l.Customers)), TotalCount: l.Total, PageInfo: pageInfo(p, len(l.Customers), l.Total)}
	for i, c := range l.Customers {
		conn.Edges[i] = &model.CustomerEdge{Cursor: cursor(p.Offset + i), Node: customer(f, s, c, pg)}
	}
	return conn
}

func reseller(tier1 gateway.Scope, r gateway.Reseller, p *loader.Page) *model.Reseller {
	s := gateway.Scope{Account: tier1.Account, Indirect: r.ID}
	return &model.Reseller{
		ID: globalID("Reseller", s, r.ID), ResellerID: r.ID, AccountName: opt(r.AccountName), Name: opt(r.Name),
		Email: opt(r.Email), MobilePhone: opt(r.MobilePhone), AssociatedOn: opt(r.AssociatedOn),
		AccountManagerName: opt(r.AccountManagerName), Scope: s, Page: p,
	}
}

var accountTypes = map[int]model.AccountType{1: model.AccountTypeBalance, 2: model.AccountTypeCredit, 5: model.AccountTypeBonus, 7: model.AccountTypeDeposit, 8: model.AccountTypeAllocatable}

func funds(fs []gateway.Fund) []*model.Fund {
	out := make([]*model.Fund, len(fs))
	for i, f := range fs {
		t, ok := accountTypes[f.AccountType]
		if !ok {
			t = model.AccountTypeOther
		}
		out[i] = &model.Fund{AccountID: f.AccountID, AccountType: t, Amount: money(f.Amount), DesignatedAmount: optMoney(f.DesignatedAmount), CreditAmount: optMoney(f.CreditAmount), Memo: opt(f.Memo)}
	}
	return out
}

func quota(s gateway.Scope, q gateway.Quota) *model.CouponQuota {
	m := &model.CouponQuota{
		ID: globalID("CouponQuota", s, q.ID), QuotaID: q.ID, Value: optMoney(q.Value), Balance: optMoney(q.Balance), Status: q.Status,
		EffectiveTime: opt(q.EffectiveTime), ExpireTime: opt(q.ExpireTime), CreateTime: opt(q.CreateTime),
		ParentQuotaID: opt(q.ParentQuotaID), ResellerID: opt(q.ResellerID), Scope: s,
	}
	t := model.QuotaTypeVoucher
	if q.Type == 1 {
		t = model.QuotaTypeCash
	}
	m.QuotaType = &t
	return m
}

func kind(k gateway.Kind) model.PartnerKind {
	switch k {
	case gateway.KindTier1:
		return model.PartnerKindTier1Distributor
	case gateway.KindTier2:
		return model.PartnerKindTier2Reseller
	}
	return model.PartnerKindSolutionProvider
}

func partner(a gateway.Account) *model.Partner {
	s := gateway.Scope{Account: a.ID}
	return &model.Partner{ID: globalID("Partner", s, a.ID), PartnerID: a.ID, Name: opt(a.Name), Kind: kind(a.Kind), Scope: s}
}
