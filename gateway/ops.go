package gateway

import (
	"context"
	"partnergraph/apierr"

	bss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"github.com/shopspring/decimal"
)

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

// ListCustomers lists the customers of the scope's partner (ListSubCustomers).
func (c *Client) ListCustomers(ctx context.Context, s Scope, q CustomerQuery) (CustomerList, error) {
	off, lim := page(q.Page)
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
	resp, err := call(ctx, c, s, "ListSubCustomers", func(cl *bss.BssClient) (*model.ListSubCustomersResponse, error) {
		return cl.ListSubCustomers(req)
	})
	if err != nil {
		return CustomerList{}, err
	}
	out := CustomerList{Total: i32(resp.Count)}
	if resp.CustomerInfos != nil {
		for _, ci := range *resp.CustomerInfos {
			out.Customers = append(out.Customers, Customer{
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
			})
		}
	}
	return out, nil
}

// CustomerBalances reads the balances of ids, MaxBalanceBatch per call
// (ListCustomersBalancesDetail). Customers without a balance are absent.
func (c *Client) CustomerBalances(ctx context.Context, s Scope, ids []string) (map[string]CustomerBalance, error) {
	out := make(map[string]CustomerBalance, len(ids))
	for start := 0; start < len(ids); start += MaxBalanceBatch {
		chunk := ids[start:min(start+MaxBalanceBatch, len(ids))]
		infos := make([]model.CustomerInfoV2, len(chunk))
		for i, id := range chunk {
			infos[i] = model.CustomerInfoV2{CustomerId: id}
		}
		req := &model.ListCustomersBalancesDetailRequest{Body: &model.QueryCustomersBalancesReq{CustomerInfos: infos, IndirectPartnerId: optStr(s.Indirect)}}
		resp, err := call(ctx, c, s, "ListCustomersBalancesDetail", func(cl *bss.BssClient) (*model.ListCustomersBalancesDetailResponse, error) {
			return cl.ListCustomersBalancesDetail(req)
		})
		if err != nil {
			return nil, err
		}
		if resp.CustomerBalances == nil {
			continue
		}
		for _, b := range *resp.CustomerBalances {
			cur := currency(b.Currency)
			cb := CustomerBalance{CustomerID: b.CustomerId, Available: Money{Currency: cur}, Debt: Money{Currency: cur}}
			if b.Amount != nil {
				cb.Available.Amount = *b.Amount
			}
			if b.DebtAmount != nil {
				cb.Debt.Amount = *b.DebtAmount
			}
			out[b.CustomerId] = cb
		}
	}
	return out, nil
}

// NewCustomerTags reads the new-customer tags of ids, MaxTagBatch per call
// (ListSubCustomerNewTag).
func (c *Client) NewCustomerTags(ctx context.Context, s Scope, ids []string) (map[string]NewCustomerTag, error) {
	out := make(map[string]NewCustomerTag, len(ids))
	for start := 0; start < len(ids); start += MaxTagBatch {
		chunk := append([]string(nil), ids[start:min(start+MaxTagBatch, len(ids))]...)
		req := &model.ListSubCustomerNewTagRequest{Body: &model.ListSubCustomerNewTagReq{
			CustomerIds: &chunk, Offset: ptr(int32(0)), Limit: ptr(int32(MaxTagBatch)), IndirectPartnerId: optStr(s.Indirect),
		}}
		resp, err := call(ctx, c, s, "ListSubCustomerNewTag", func(cl *bss.BssClient) (*model.ListSubCustomerNewTagResponse, error) {
			return cl.ListSubCustomerNewTag(req)
		})
		if err != nil {
			return nil, err
		}
		if resp.NewCustomerTags == nil {
			continue
		}
		for _, t := range *resp.NewCustomerTags {
			id := str(t.CustomerId)
			out[id] = NewCustomerTag{CustomerID: id, Tag: str(t.NewCustomerTag), TagType: str(t.CustomerTagType), EffectiveTime: str(t.EffectiveTime), ExpireTime: str(t.ExpireTime)}
		}
	}
	return out, nil
}

// ListResellers lists the tier-2 resellers of a tier-1 (ListIndirectPartners).
// resellerID, when set, narrows the list to that reseller.
func (c *Client) ListResellers(ctx context.Context, s Scope, p Page, accountName, resellerID string) (ResellerList, error) {
	off, lim := page(p)
	req := &model.ListIndirectPartnersRequest{Body: &model.QueryIndirectPartnersReq{
		AccountName: optStr(accountName), Offset: off, Limit: lim, IndirectPartnerId: optStr(resellerID),
	}}
	resp, err := call(ctx, c, s, "ListIndirectPartners", func(cl *bss.BssClient) (*model.ListIndirectPartnersResponse, error) {
		return cl.ListIndirectPartners(req)
	})
	if err != nil {
		return ResellerList{}, err
	}
	out := ResellerList{Total: i32(resp.Count)}
	if resp.IndirectPartners != nil {
		for _, p := range *resp.IndirectPartners {
			out.Resellers = append(out.Resellers, Reseller{
				ID: str(p.IndirectPartnerId), AccountName: str(p.AccountName), Name: str(p.Name), Email: str(p.Email),
				MobilePhone: str(p.MobilePhone), AssociatedOn: str(p.AssociatedOn), AccountManagerName: str(p.AccountManagerName),
			})
		}
	}
	return out, nil
}

// Funds reads the funds of the scope's partner (ListPartnerBalances; one
// partner per call, the upstream has no batch form).
func (c *Client) Funds(ctx context.Context, s Scope) ([]Fund, error) {
	req := &model.ListPartnerBalancesRequest{IndirectPartnerId: optStr(s.Indirect)}
	resp, err := call(ctx, c, s, "ListPartnerBalances", func(cl *bss.BssClient) (*model.ListPartnerBalancesResponse, error) {
		return cl.ListPartnerBalances(req)
	})
	if err != nil {
		return nil, err
	}
	var out []Fund
	if resp.AccountBalances != nil {
		for _, b := range *resp.AccountBalances {
			cur := b.Currency
			if cur == "" {
				cur = defaultCurrency
			}
			f := Fund{AccountID: b.AccountId, AccountType: int(b.AccountType), Amount: floatMoney(b.Amount, cur), Memo: str(b.Memo)}
			if b.DesignatedAmount != nil {
				f.DesignatedAmount = ptr(floatMoney(*b.DesignatedAmount, cur))
			}
			if b.CreditAmount != nil {
				f.CreditAmount = ptr(floatMoney(*b.CreditAmount, cur))
			}
			out = append(out, f)
		}
	}
	return out, nil
}

// CouponQuotas lists the scope partner's own coupon quotas (ListQuotaCoupons).
// quotaIDs, when set, narrows the list to those quotas.
func (c *Client) CouponQuotas(ctx context.Context, s Scope, quotaIDs []string, p Page) (QuotaList, error) {
	off, lim := page(p)
	body := &model.QueryCouponQuotasReqExt{Offset: off, Limit: lim, IndirectPartnerId: optStr(s.Indirect)}
	if len(quotaIDs) > 0 {
		body.QuotaIds = &quotaIDs
	}
	req := &model.ListQuotaCouponsRequest{Body: body}
	resp, err := call(ctx, c, s, "ListQuotaCoupons", func(cl *bss.BssClient) (*model.ListQuotaCouponsResponse, error) {
		return cl.ListQuotaCoupons(req)
	})
	if err != nil {
		return QuotaList{}, err
	}
	out := QuotaList{Total: i32(resp.TotalCount)}
	if resp.Quotas != nil {
		for _, q := range *resp.Quotas {
			cur := currency(q.Currency)
			out.Quotas = append(out.Quotas, Quota{
				ID: str(q.QuotaId), Type: i32(q.QuotaType), Value: decMoney(q.QuotaValue, cur), Balance: decMoney(q.Balance, cur),
				Status: optInt(q.QuotaStatus), EffectiveTime: str(q.EffectiveTime), ExpireTime: str(q.ExpireTime), CreateTime: str(q.CreateTime),
			})
		}
	}
	return out, nil
}

// IssuedQuotas lists child quotas a tier-1 issued to its resellers
// (ListIssuedCouponQuotas).
func (c *Client) IssuedQuotas(ctx context.Context, s Scope, q IssuedQuotaQuery) (QuotaList, error) {
	off, lim := page(q.Page)
	req := &model.ListIssuedCouponQuotasRequest{QuotaId: optStr(q.QuotaID), IndirectPartnerId: optStr(q.ResellerID), ParentQuotaId: optStr(q.ParentQuotaID), Offset: off, Limit: lim}
	resp, err := call(ctx, c, s, "ListIssuedCouponQuotas", func(cl *bss.BssClient) (*model.ListIssuedCouponQuotasResponse, error) {
		return cl.ListIssuedCouponQuotas(req)
	})
	if err != nil {
		return QuotaList{}, err
	}
	out := QuotaList{Total: i32(resp.TotalCount)}
	if resp.Quotas != nil {
		for _, q := range *resp.Quotas {
			cur := currency(q.Currency)
			out.Quotas = append(out.Quotas, Quota{
				ID: str(q.QuotaId), Type: i32(q.QuotaType), Value: decMoney(q.QuotaValue, cur), Balance: decMoney(q.Balance, cur),
				Status: optInt(q.QuotaStatus), EffectiveTime: str(q.EffectiveTime), ExpireTime: str(q.ExpireTime), CreateTime: str(q.CreateTime),
				ParentQuotaID: str(q.ParentQuotaId), ResellerID: str(q.IndirectPartnerId), ResellerName: str(q.IndirectPartnerName), ResellerAcctNm: str(q.IndirectPartnerAccountName),
			})
		}
	}
	return out, nil
}

// QuotaRecords lists issue/reclaim records of child quotas (ListCouponQuotasRecords).
func (c *Client) QuotaRecords(ctx context.Context, s Scope, quotaID, parentQuotaID string, p Page) (QuotaRecordList, error) {
	off, lim := page(p)
	req := &model.ListCouponQuotasRecordsRequest{QuotaId: optStr(quotaID), ParentQuotaId: optStr(parentQuotaID), Offset: off, Limit: lim}
	resp, err := call(ctx, c, s, "ListCouponQuotasRecords", func(cl *bss.BssClient) (*model.ListCouponQuotasRecordsResponse, error) {
		return cl.ListCouponQuotasRecords(req)
	})
	if err != nil {
		return QuotaRecordList{}, err
	}
	out := QuotaRecordList{Total: i32(resp.TotalCount)}
	if resp.Records != nil {
		for _, r := range *resp.Records {
			out.Records = append(out.Records, QuotaRecord{
				ID: str(r.Id), OperationType: str(r.OperationType), QuotaID: str(r.QuotaId), ParentQuotaID: str(r.ParentQuotaId),
				Amount: decMoney(r.Amount, defaultCurrency), OperationTime: str(r.OperationTime), Result: str(r.Result),
				ResellerID: str(r.IndirectPartnerId), Operator: str(r.Operator), Remark: str(r.Remark),
			})
		}
	}
	return out, nil
}

// IssuedCoupons lists coupons the scope's partner issued to a customer
// (ListIssuedPartnerCoupons).
func (c *Client) IssuedCoupons(ctx context.Context, s Scope, customerID string, p Page) (CouponList, error) {
	off, lim := page(p)
	req := &model.ListIssuedPartnerCouponsRequest{CustomerId: optStr(customerID), Offset: off, Limit: lim, IndirectPartnerId: optStr(s.Indirect)}
	resp, err := call(ctx, c, s, "ListIssuedPartnerCoupons", func(cl *bss.BssClient) (*model.ListIssuedPartnerCouponsResponse, error) {
		return cl.ListIssuedPartnerCoupons(req)
	})
	if err != nil {
		return CouponList{}, err
	}
	out := CouponList{Total: i32(resp.TotalCount)}
	if resp.UserCoupons != nil {
		for _, u := range *resp.UserCoupons {
			out.Coupons = append(out.Coupons, Coupon{
				ID: str(u.CouponId), CustomerID: str(u.CustomerId), Type: optInt(u.CouponType), Status: optInt(u.Status),
				FaceValue: decMoney(u.FaceValue, defaultCurrency), Balance: decMoney(u.Balance, defaultCurrency),
				EffectiveTime: str(u.EffectiveTime), ExpireTime: str(u.ExpireTime), CreateTime: str(u.CreateTime),
				Memo: str(u.PromotionPlanName),
			})
		}
	}
	return out, nil
}

// AccountChangeRecords lists changes of the scope partner's account
// (ListPartnerAccountChangeRecords). balanceType is BALANCE_TYPE_DEBIT or
// BALANCE_TYPE_CREDIT.
func (c *Client) AccountChangeRecords(ctx context.Context, s Scope, balanceType string, p Page) (AccountChangeRecordList, error) {
	off, lim := page(p)
	req := &model.ListPartnerAccountChangeRecordsRequest{BalanceType: balanceType, Offset: off, Limit: lim, IndirectPartnerId: optStr(s.Indirect)}
	resp, err := call(ctx, c, s, "ListPartnerAccountChangeRecords", func(cl *bss.BssClient) (*model.ListPartnerAccountChangeRecordsResponse, error) {
		return cl.ListPartnerAccountChangeRecords(req)
	})
	if err != nil {
		return AccountChangeRecordList{}, err
	}
	cur := currency(resp.Currency)
	out := AccountChangeRecordList{Total: i32(resp.TotalCount)}
	if resp.Records != nil {
		for _, r := range *resp.Records {
			out.Records = append(out.Records, AccountChangeRecord{
				ID: str(r.AccountChangeId), TradeType: str(r.TradeDetailType), TradeTime: str(r.TradeTime), TradeID: str(r.TradeId),
				Change: strMoney(r.ChangeAmount, cur), BalanceAfter: strMoney(r.BalanceAfterChange, cur),
				CustomerID: str(r.CustomerId), AccountName: str(r.AccountName),
			})
		}
	}
	return out, nil
}

// AdjustRecords lists allocations and reclaims (ListPartnerAdjustRecords).
func (c *Client) AdjustRecords(ctx context.Context, s Scope, customerID string, p Page) (AdjustRecordList, error) {
	off, lim := page(p)
	req := &model.ListPartnerAdjustRecordsRequest{CustomerId: optStr(customerID), Offset: off, Limit: lim, IndirectPartnerId: optStr(s.Indirect)}
	resp, err := call(ctx, c, s, "ListPartnerAdjustRecords", func(cl *bss.BssClient) (*model.ListPartnerAdjustRecordsResponse, error) {
		return cl.ListPartnerAdjustRecords(req)
	})
	if err != nil {
		return AdjustRecordList{}, err
	}
	out := AdjustRecordList{Total: i32(resp.TotalCount)}
	if resp.Records != nil {
		for _, r := range *resp.Records {
			out.Records = append(out.Records, AdjustRecord{
				TransID: str(r.TransId), CustomerID: str(r.CustomerId), CustomerName: str(r.CustomerName), OperationType: str(r.OperationType),
				Amount: strMoney(r.Amount, currency(r.Currency)), OperationTime: str(r.OperationTime), Memo: str(r.Memo),
			})
		}
	}
	return out, nil
}

// ServiceTypes lists the catalogue's service types (first 500).
func (c *Client) ServiceTypes(ctx context.Context, s Scope) ([]ServiceType, error) {
	req := &model.ListServiceTypesRequest{Limit: ptr(int32(500)), Offset: ptr(int32(0))}
	resp, err := call(ctx, c, s, "ListServiceTypes", func(cl *bss.BssClient) (*model.ListServiceTypesResponse, error) {
		return cl.ListServiceTypes(req)
	})
	if err != nil {
		return nil, err
	}
	var out []ServiceType
	if resp.ServiceTypes != nil {
		for _, t := range *resp.ServiceTypes {
			out = append(out, ServiceType{Code: str(t.ServiceTypeCode), Name: str(t.ServiceTypeName), Abbreviation: str(t.Abbreviation)})
		}
	}
	return out, nil
}

// ResourceTypes lists the catalogue's resource types (first 500).
func (c *Client) ResourceTypes(ctx context.Context, s Scope) ([]ResourceType, error) {
	req := &model.ListResourceTypesRequest{Limit: ptr(int32(500)), Offset: ptr(int32(0))}
	resp, err := call(ctx, c, s, "ListResourceTypes", func(cl *bss.BssClient) (*model.ListResourceTypesResponse, error) {
		return cl.ListResourceTypes(req)
	})
	if err != nil {
		return nil, err
	}
	var out []ResourceType
	if resp.ResourceTypes != nil {
		for _, t := range *resp.ResourceTypes {
			out = append(out, ResourceType{Code: str(t.ResourceTypeCode), Name: str(t.ResourceTypeName), Description: str(t.ResourceTypeDesc), ServiceTypeCode: str(t.ServiceTypeCode)})
		}
	}
	return out, nil
}

// MeasureUnits lists the units of measure.
func (c *Client) MeasureUnits(ctx context.Context, s Scope) ([]MeasureUnit, error) {
	resp, err := call(ctx, c, s, "ListMeasureUnits", func(cl *bss.BssClient) (*model.ListMeasureUnitsResponse, error) {
		return cl.ListMeasureUnits(&model.ListMeasureUnitsRequest{})
	})
	if err != nil {
		return nil, err
	}
	var out []MeasureUnit
	if resp.MeasureUnits != nil {
		for _, m := range *resp.MeasureUnits {
			out = append(out, MeasureUnit{ID: i32(m.MeasureId), Name: str(m.MeasureName), Abbreviation: str(m.Abbreviation), MeasureType: i32(m.MeasureType)})
		}
	}
	return out, nil
}

// Ping checks the upstream answers a signed call, for /readyz.
func (c *Client) Ping(ctx context.Context) error {
	for _, a := range c.Accounts() {
		if c.HasKeys(a.ID) {
			_, err := c.MeasureUnits(ctx, Scope{Account: a.ID})
			return err
		}
	}
	return apierr.Errorf(apierr.CodeInternal, "no account")
}
