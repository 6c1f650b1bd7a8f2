package resolvers

import (
	"reflect"

	"partnergraph/graph/model"
	"partnergraph/identity"
)

// tier1Only are the sensitive operations only a tier-1 distributor may
// perform: they move money or quota between the tier-1 and its resellers.
var tier1Only = map[model.SensitiveOperation]bool{
	model.SensitiveOperationAllocateResellerFunds: true,
	model.SensitiveOperationReclaimResellerFunds:  true,
	model.SensitiveOperationIssueCouponQuotas:     true,
	model.SensitiveOperationReclaimCouponQuotas:   true,
}

// authorizeSensitive decides, before a code is sent (requestVerificationCode)
// or asked for (@verified), whether a partner-side caller may perform op on
// in at all: the role rules and the input's static checks. A caller must
// never spend a code, a send or an attempt on something it can never do.
// Ownership of the targets stays the mutation's own check (it needs the
// upstream, and answers NOT_FOUND either way).
func (r *Resolver) authorizeSensitive(p *identity.Principal, op model.SensitiveOperation, in any) error {
	if p.Role == identity.RoleCustomer {
		return nil // customers are never challenged; the mutation decides
	}
	if tier1Only[op] && !r.isTier1(p) {
		return forbidden("this tier-1 operation")
	}
	if id := resellerIDOf(in); id != "" && !r.isTier1(p) && !(p.Role == identity.RoleReseller && id == p.PartnerID) {
		return forbidden("acting for a reseller (resellerId)")
	}
	return validateSensitive(in)
}

// resellerIDOf finds a reseller the input acts for: a ResellerID field of
// the input or of its Customer reference (commerce inputs).
func resellerIDOf(in any) string {
	v := reflect.Indirect(reflect.ValueOf(in))
	if !v.IsValid() || v.Kind() != reflect.Struct {
		return ""
	}
	if id := stringField(v, "ResellerID"); id != "" {
		return id
	}
	if c := reflect.Indirect(v.FieldByName("Customer")); c.IsValid() && c.Kind() == reflect.Struct {
		return stringField(c, "ResellerID")
	}
	return ""
}

func stringField(v reflect.Value, name string) string {
	f := v.FieldByName(name)
	if !f.IsValid() {
		return ""
	}
	if f.Kind() == reflect.Pointer {
		if f.IsNil() {
			return ""
		}
		f = f.Elem()
	}
	if f.Kind() != reflect.String {
		return ""
	}
	return f.String()
}

// addressable returns a pointer to in's value (gqlgen passes non-null input
// objects by value; the checks switch on pointer types).
func addressable(in any) any {
	v := reflect.ValueOf(in)
	if !v.IsValid() || v.Kind() == reflect.Pointer {
		return in
	}
	ptr := reflect.New(v.Type())
	ptr.Elem().Set(v)
	return ptr.Interface()
}
