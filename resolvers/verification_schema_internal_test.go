package resolvers

import (
	"regexp"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"partnergraph/graph"
	"partnergraph/graph/model"
)

// sensitiveName matches mutation names that move money, quota or coupons;
// such a mutation must carry @verified. notSensitive lists the reviewed
// exceptions (keep it short, with a reason each).
var sensitiveName = regexp.MustCompile(`(?i)money|fund|quota|coupon|voucher|pay|renew|unsubscribe|allocate|reclaim|issue|transfer|refund|verification`)

var notSensitive = map[string]string{
	"requestVerificationCode": "asks for a code; moves nothing",
	"createRenewalOrder":      "creates an unpaid order; paying it is payOrder (@verified)",
	"setAutoRenew":            "a renewal preference; every payment it leads to goes through the upstream's own billing",
}

func TestSensitiveMutationsAreVerified(t *testing.T) {
	s := graph.NewExecutableSchema(graph.Config{}).Schema()
	mut := s.Mutation
	if mut == nil {
		t.Fatal("no Mutation type")
	}
	sensInput := s.Types["SensitiveInput"]
	if sensInput == nil || sensInput.Directives.ForName("oneOf") == nil {
		t.Fatal("SensitiveInput must be a @oneOf input")
	}
	ops := map[string]bool{}
	for _, v := range s.Types["SensitiveOperation"].EnumValues {
		ops[v.Name] = false
	}
	for _, f := range mut.Fields {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		d := f.Directives.ForName("verified")
		if d == nil {
			if sensitiveName.MatchString(f.Name) && notSensitive[f.Name] == "" {
				t.Errorf("mutation %s looks sensitive (money, quota, coupons, payment) but lacks @verified; add it, or list it in notSensitive with a reason", f.Name)
			}
			continue
		}
		op := d.Arguments.ForName("operation").Value.Raw
		if _, ok := ops[op]; !ok {
			t.Errorf("%s: unknown operation %s", f.Name, op)
			continue
		}
		ops[op] = true
		in, v := f.Arguments.ForName("input"), f.Arguments.ForName("verification")
		if in == nil || v == nil || v.Type.Name() != "VerificationInput" {
			t.Errorf("%s: a @verified mutation takes input and verification: VerificationInput", f.Name)
			continue
		}
		m := sensInput.Fields.ForName(memberName(model.SensitiveOperation(op)))
		if m == nil || m.Type.Name() != in.Type.Name() {
			t.Errorf("%s: SensitiveInput needs member %s of type %s (the code is bound to a digest of exactly that input)", f.Name, memberName(model.SensitiveOperation(op)), in.Type.Name())
		}
		if k := f.Arguments.ForName("idempotencyKey"); k != nil {
			if k.Type.String() != "String!" {
				t.Errorf("%s: idempotencyKey must be String!", f.Name)
			}
		} else if op != string(model.SensitiveOperationSetVerificationEnabled) && sensitiveName.MatchString(f.Name) && !strings.Contains(f.Name, "erification") {
			t.Errorf("%s moves money or quota: it must take idempotencyKey: String!", f.Name)
		}
		if !isRootMutation(mut, f) {
			t.Errorf("%s: @verified only on root mutation fields", f.Name)
		}
	}
	for _, op := range []model.SensitiveOperation{
		model.SensitiveOperationAllocateCustomerFunds, model.SensitiveOperationReclaimCustomerFunds,
		model.SensitiveOperationAllocateResellerFunds, model.SensitiveOperationReclaimResellerFunds,
		model.SensitiveOperationIssueCouponQuotas, model.SensitiveOperationReclaimCouponQuotas,
		model.SensitiveOperationIssueCoupons, model.SensitiveOperationReclaimCoupons,
		model.SensitiveOperationSetVerificationEnabled,
	} {
		if !ops[string(op)] {
			t.Errorf("no mutation is guarded by @verified(operation: %s)", op)
		}
	}
}

func isRootMutation(mut *ast.Definition, f *ast.FieldDefinition) bool {
	return mut.Fields.ForName(f.Name) == f
}

// The directive on non-mutation types would be a mistake: walk all types.
func TestVerifiedOnlyOnMutations(t *testing.T) {
	s := graph.NewExecutableSchema(graph.Config{}).Schema()
	for name, def := range s.Types {
		if def == s.Mutation || strings.HasPrefix(name, "__") {
			continue
		}
		for _, f := range def.Fields {
			if f.Directives.ForName("verified") != nil {
				t.Errorf("%s.%s: @verified belongs on Mutation fields only", name, f.Name)
			}
		}
	}
}

// memberName is the SensitiveInput member of an operation:
// ALLOCATE_CUSTOMER_FUNDS → allocateCustomerFunds.
func memberName(op model.SensitiveOperation) string {
	parts := strings.Split(strings.ToLower(string(op)), "_")
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
	}
	return strings.Join(parts, "")
}

// Every operation of the enum has its typed code request: an input without
// the operation's member is refused as such, never as an unknown operation.
func TestEveryOperationHasACodeRequest(t *testing.T) {
	for _, op := range model.AllSensitiveOperation {
		_, err := codeRequestFor(op, &model.SensitiveInput{})
		if err == nil || !strings.Contains(err.Error(), "set the member") {
			t.Errorf("%s: got %v, want the missing-member error", op, err)
		}
	}
}

func TestMemberName(t *testing.T) {
	for op, want := range map[model.SensitiveOperation]string{
		model.SensitiveOperationAllocateCustomerFunds:  "allocateCustomerFunds",
		model.SensitiveOperationPayOrder:               "payOrder",
		model.SensitiveOperationSetVerificationEnabled: "setVerificationEnabled",
	} {
		if got := memberName(op); got != want {
			t.Errorf("%s: %s, want %s", op, got, want)
		}
	}
}
