package resolvers

// MoneyUpstream moves funds, coupon quotas and coupons (issue 4).
type MoneyUpstream interface{}
