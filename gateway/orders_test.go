package gateway_test

import (
	"testing"

	"partnergraph/apierr"
	"partnergraph/gateway"
)

func TestCheckPayInput(t *testing.T) {
	v, c := gateway.PayCouponVoucher, gateway.PayCouponCash
	tests := map[string]struct {
		in gateway.PayInput
		ok bool
	}{
		"nothing":             {gateway.PayInput{OrderID: "o"}, true},
		"three vouchers":      {gateway.PayInput{Coupons: []gateway.PayCoupon{{"a", v}, {"b", v}, {"c", v}}}, true},
		"four coupons":        {gateway.PayInput{Coupons: []gateway.PayCoupon{{"a", v}, {"b", v}, {"c", v}, {"d", v}}}, false},
		"twice":               {gateway.PayInput{Coupons: []gateway.PayCoupon{{"a", v}, {"a", v}}}, false},
		"voucher + discount":  {gateway.PayInput{Coupons: []gateway.PayCoupon{{"a", v}}, DiscountID: "d"}, true},
		"cash + discount":     {gateway.PayInput{Coupons: []gateway.PayCoupon{{"a", c}}, DiscountID: "d"}, false},
		"cash alone":          {gateway.PayInput{Coupons: []gateway.PayCoupon{{"a", c}}}, true},
		"unknown coupon type": {gateway.PayInput{Coupons: []gateway.PayCoupon{{"a", 300}}}, false},
	}
	for name, tc := range tests {
		err := gateway.CheckPayInput(tc.in)
		if (err == nil) != tc.ok || (err != nil && apierr.ErrorCode(err) != apierr.CodeBadUserInput) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
