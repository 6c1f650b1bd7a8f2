package resolvers

// ---- Sensitive operations registry (issue 4) ----
//
// Adding a sensitive mutation (e.g. issue 5's payOrder):
//
//  1. schema.graphqls: add the operation to `enum SensitiveOperation` (done
//     for PAY_ORDER, RENEW_RESOURCES, UNSUBSCRIBE_RESOURCES), a member to
//     `input SensitiveInput` named like the operation in lowerCamelCase
//     (PAY_ORDER → payOrder) and typed exactly as the mutation's `input`
//     argument, and `@verified(operation: PAY_ORDER)` on the mutation, which
//     takes `input`, `verification: VerificationInput` and, when it moves
//     money, `idempotencyKey: String!`;
//  2. here: payloadTypes[PAY_ORDER] = func() any { return new(model.PayOrderPayload) }
//     so a replayed idempotency key can be answered from the stored JSON
//     (the payload must round-trip through encoding/json: plain fields, no
//     field resolvers);
//  3. optionally describeInput (money_verify.go) for a nicer message.
//
// TestSensitiveMutationsAreVerified fails when a mutation that looks like
// it moves money or quota lacks @verified, or when an operation has no
// SensitiveInput member or payload type.

import (
	"reflect"
	"strings"

	"partnergraph/graph/model"
)

// payloadTypes makes an empty payload per operation, for replays.
var payloadTypes = map[model.SensitiveOperation]func() any{
	model.SensitiveOperationAllocateCustomerFunds:  func() any { return new(model.CustomerFundsPayload) },
	model.SensitiveOperationReclaimCustomerFunds:   func() any { return new(model.CustomerFundsPayload) },
	model.SensitiveOperationAllocateResellerFunds:  func() any { return new(model.ResellerFundsPayload) },
	model.SensitiveOperationReclaimResellerFunds:   func() any { return new(model.ResellerFundsPayload) },
	model.SensitiveOperationIssueCouponQuotas:      func() any { return new(model.CouponQuotasPayload) },
	model.SensitiveOperationReclaimCouponQuotas:    func() any { return new(model.CouponQuotasPayload) },
	model.SensitiveOperationIssueCoupons:           func() any { return new(model.CouponsPayload) },
	model.SensitiveOperationReclaimCoupons:         func() any { return new(model.CouponsPayload) },
	model.SensitiveOperationSetVerificationEnabled: func() any { return new(model.VerificationSettings) },
	// issue 5 (commerce)
	model.SensitiveOperationPayOrder:             func() any { return new(model.PayOrderPayload) },
	model.SensitiveOperationRenewResources:       func() any { return new(model.ResourceOrdersPayload) },
	model.SensitiveOperationUnsubscribeResources: func() any { return new(model.ResourceOrdersPayload) },
}

// memberName is the SensitiveInput member of an operation:
// ALLOCATE_CUSTOMER_FUNDS → allocateCustomerFunds.
func memberName(op model.SensitiveOperation) string {
	parts := strings.Split(strings.ToLower(string(op)), "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// sensitiveMember returns the one member set in in, checking that it is the
// member of op. ok is false when none, several, or another member is set.
func sensitiveMember(op model.SensitiveOperation, in *model.SensitiveInput) (any, bool) {
	if in == nil {
		return nil, false
	}
	v := reflect.ValueOf(in).Elem()
	t := v.Type()
	var found any
	n := 0
	for i := 0; i < t.NumField(); i++ {
		f := v.Field(i)
		if f.Kind() != reflect.Pointer || f.IsNil() {
			continue
		}
		n++
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == memberName(op) {
			found = f.Interface()
		}
	}
	return found, n == 1 && found != nil
}
