package resolvers_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// Hostile numbers, dates, texts, cursors and keys are refused with one
// BAD_USER_INPUT in milliseconds, before any code is sent or any upstream
// call is made, and the error never echoes the input.
func TestHostileInputs(t *testing.T) {
	f := newFundsEnv(t, envConfig{})
	quota := "q-any" // refused before the quota matters
	long := strings.Repeat("x", 200_000)
	tests := map[string]struct {
		q    string
		vars map[string]any
	}{
		"HugeExponent":       {allocateQ, fundsVars(f.cust, "1e3000000", newKey(), "", "")},
		"Exponent":           {allocateQ, fundsVars(f.cust, "1e400", newKey(), "", "")},
		"TooManyDigits":      {allocateQ, fundsVars(f.cust, "99999999999999999999.99", newKey(), "", "")},
		"TooManyDecimals":    {allocateQ, fundsVars(f.cust, "1.001", newKey(), "", "")},
		"FloatLiteral":       {allocateQ, map[string]any{"in": map[string]any{"customerId": f.cust, "amount": 12.5}, "key": newKey()}},
		"MegabyteNumber":     {allocateQ, fundsVars(f.cust, strings.Repeat("9", 1<<20), newKey(), "", "")},
		"KeyAsNumber":        {allocateQ, map[string]any{"in": map[string]any{"customerId": f.cust, "amount": "1"}, "key": 123}},
		"CustomerIdAsNumber": {allocateQ, map[string]any{"in": map[string]any{"customerId": 42, "amount": "1"}, "key": newKey()}},
		"UnparseableValidFrom": {issueCouponsQ, map[string]any{"key": newKey(), "in": map[string]any{
			"quotaId": quota, "customerIds": []string{f.cust}, "faceValue": "1", "validFrom": "tomorrow"}}},
		"PastExpiry": {issueCouponsQ, map[string]any{"key": newKey(), "in": map[string]any{
			"quotaId": quota, "customerIds": []string{f.cust}, "faceValue": "1", "expireTime": "2020-01-01T00:00:00Z"}}},
		"ExpiryBeforeStart": {issueCouponsQ, map[string]any{"key": newKey(), "in": map[string]any{
			"quotaId": quota, "customerIds": []string{f.cust}, "faceValue": "1", "validFrom": "2099-02-01T00:00:00Z", "expireTime": "2099-01-01T00:00:00Z"}}},
		"HugeRemark": {issueCouponsQ, map[string]any{"key": newKey(), "in": map[string]any{
			"quotaId": quota, "customerIds": []string{f.cust}, "faceValue": "1", "remark": long}}},
		"NULInRemark": {issueCouponsQ, map[string]any{"key": newKey(), "in": map[string]any{
			"quotaId": quota, "customerIds": []string{f.cust}, "faceValue": "1", "remark": "ok\x00evil"}}},
		"BidiOverrideInRemark": {issueCouponsQ, map[string]any{"key": newKey(), "in": map[string]any{
			"quotaId": quota, "customerIds": []string{f.cust}, "faceValue": "1", "remark": "refund \u202egnp.exe"}}},
		"CursorOverflow": {`query($a: String) { customers(first: 10, after: $a) { totalCount } }`,
			map[string]any{"a": base64.RawURLEncoding.EncodeToString([]byte("o:9223372036854775807"))}},
		"CursorBeyondInt32": {`query($a: String) { customers(first: 10, after: $a) { totalCount } }`,
			map[string]any{"a": base64.RawURLEncoding.EncodeToString([]byte("o:2147483647"))}},
		"NegativeCursor": {`query($a: String) { customers(first: 10, after: $a) { totalCount } }`,
			map[string]any{"a": base64.RawURLEncoding.EncodeToString([]byte("o:-5"))}},
		"HugeProductID": {`query($in: PriceQuoteInput!) { priceQuote(input: $in) { period { officialAmount { amount } } } }`,
			map[string]any{"in": map[string]any{"projectId": "p1", "periodProducts": []any{map[string]any{"id": long, "serviceTypeCode": "hws.service.type.ec2",
				"resourceTypeCode": "hws.resource.type.vm", "resourceSpec": "x", "region": "cn-north-4", "period": map[string]any{"type": "MONTH", "count": 1}}}}}},
		"HugeProjectID": {`query($in: PriceQuoteInput!) { priceQuote(input: $in) { period { officialAmount { amount } } } }`,
			map[string]any{"in": map[string]any{"projectId": long, "periodProducts": []any{}}}},
		"HugeCouponFilter": {`query($f: IssuedCouponFilter) { viewer { partner { issuedCoupons(filter: $f) { totalCount } } } }`,
			map[string]any{"f": map[string]any{"customerId": long}}},
		"NULInXAccountID": {`query($x: String!) { customerByXAccountId(xaccountId: $x) { id } }`, map[string]any{"x": "crm\x00evil"}},
		"HugeXAccountID":  {`query($x: String!) { customerByXAccountId(xaccountId: $x) { id } }`, map[string]any{"x": long}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f.resetStats(t)
			start := time.Now()
			r := f.query(t, f.tok, tt.q, tt.vars)
			took := time.Since(start)
			if len(r.Errors) != 1 || !hasCode(r, "BAD_USER_INPUT") {
				t.Fatalf("got %+v, want one BAD_USER_INPUT", r.Errors)
			}
			if took > 500*time.Millisecond {
				t.Fatalf("answered in %s", took)
			}
			if len(r.Errors[0].Message) > 200 || strings.Contains(r.Errors[0].Message, "99999999999") || strings.Contains(r.Errors[0].Message, "xxxxxxxx") {
				t.Fatalf("the error echoes the input: %.200s", r.Errors[0].Message)
			}
			if n := len(f.stats(t)); n != 0 {
				t.Fatalf("upstream called: %v", f.stats(t))
			}
		})
	}

	// requestVerificationCode refuses the same inputs: no code is sent for
	// them.
	for name, in := range map[string]map[string]any{
		"Amount":     {"issueCoupons": map[string]any{"quotaId": quota, "customerIds": []string{f.cust}, "faceValue": "1e3000000"}},
		"PastExpiry": {"issueCoupons": map[string]any{"quotaId": quota, "customerIds": []string{f.cust}, "faceValue": "1", "expireTime": "2020-01-01T00:00:00Z"}},
		"Remark":     {"issueCoupons": map[string]any{"quotaId": quota, "customerIds": []string{f.cust}, "faceValue": "1", "remark": "a\u202eb"}},
	} {
		t.Run("NoCodeFor"+name, func(t *testing.T) {
			r := f.query(t, f.tok, requestCodeQ, map[string]any{"ch": "EMAIL", "op": "ISSUE_COUPONS", "in": in})
			if !hasCode(r, "BAD_USER_INPUT") {
				t.Fatalf("got %+v", r.Errors)
			}
		})
	}
}
