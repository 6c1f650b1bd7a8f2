package sandbox

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/def"
	bss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
	iam "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3"
)

// sdkDefs is every operation the sandbox must serve, with the SDK's own
// request definition: the method and path the real client sends. The test
// below holds the sandbox's routes to them, typos included.
var sdkDefs = map[string]func() *def.HttpRequestDef{
	"CheckUserIdentity":                      bss.GenReqDefForCheckUserIdentity,
	"SendVerificationMessageCode":            bss.GenReqDefForSendVerificationMessageCode,
	"CreateSubCustomer":                      bss.GenReqDefForCreateSubCustomer,
	"ListSubCustomers":                       bss.GenReqDefForListSubCustomers,
	"ListSubCustomerNewTag":                  bss.GenReqDefForListSubCustomerNewTag,
	"ListIndirectPartners":                   bss.GenReqDefForListIndirectPartners,
	"ListPartnerBalances":                    bss.GenReqDefForListPartnerBalances,
	"ListCustomersBalancesDetail":            bss.GenReqDefForListCustomersBalancesDetail,
	"ShowCustomerAccountBalances":            bss.GenReqDefForShowCustomerAccountBalances,
	"UpdateCustomerAccountAmount":            bss.GenReqDefForUpdateCustomerAccountAmount,
	"ReclaimToPartnerAccount":                bss.GenReqDefForReclaimToPartnerAccount,
	"UpdateIndirectPartnerAccount":           bss.GenReqDefForUpdateIndirectPartnerAccount,
	"ReclaimIndirectPartnerAccount":          bss.GenReqDefForReclaimIndirectPartnerAccount,
	"ListPartnerAdjustRecords":               bss.GenReqDefForListPartnerAdjustRecords,
	"ListPartnerAccountChangeRecords":        bss.GenReqDefForListPartnerAccountChangeRecords,
	"ListCustomerAccountChangeRecords":       bss.GenReqDefForListCustomerAccountChangeRecords,
	"ListQuotaCoupons":                       bss.GenReqDefForListQuotaCoupons,
	"ListIssuedCouponQuotas":                 bss.GenReqDefForListIssuedCouponQuotas,
	"UpdateCouponQuotas":                     bss.GenReqDefForUpdateCouponQuotas,
	"ReclaimCouponQuotas":                    bss.GenReqDefForReclaimCouponQuotas,
	"ListCouponQuotasRecords":                bss.GenReqDefForListCouponQuotasRecords,
	"CreatePartnerCoupons":                   bss.GenReqDefForCreatePartnerCoupons,
	"ListIssuedPartnerCoupons":               bss.GenReqDefForListIssuedPartnerCoupons,
	"ReclaimPartnerCoupons":                  bss.GenReqDefForReclaimPartnerCoupons,
	"ListPartnerCouponsRecord":               bss.GenReqDefForListPartnerCouponsRecord,
	"ListSubCustomerCoupons":                 bss.GenReqDefForListSubCustomerCoupons,
	"ListCustomerOrders":                     bss.GenReqDefForListCustomerOrders,
	"ShowCustomerOrderDetails":               bss.GenReqDefForShowCustomerOrderDetails,
	"ListOrderDiscounts":                     bss.GenReqDefForListOrderDiscounts,
	"ListOrderCouponsByOrderId":              bss.GenReqDefForListOrderCouponsByOrderId,
	"PayOrders":                              bss.GenReqDefForPayOrders,
	"CancelCustomerOrder":                    bss.GenReqDefForCancelCustomerOrder,
	"ShowRefundOrderDetails":                 bss.GenReqDefForShowRefundOrderDetails,
	"ListPayPerUseCustomerResources":         bss.GenReqDefForListPayPerUseCustomerResources,
	"RenewalResources":                       bss.GenReqDefForRenewalResources,
	"AutoRenewalResources":                   bss.GenReqDefForAutoRenewalResources,
	"CancelAutoRenewalResources":             bss.GenReqDefForCancelAutoRenewalResources,
	"CancelResourcesSubscription":            bss.GenReqDefForCancelResourcesSubscription,
	"UpdatePeriodToOnDemand":                 bss.GenReqDefForUpdatePeriodToOnDemand,
	"ListRenewRateOnPeriod":                  bss.GenReqDefForListRenewRateOnPeriod,
	"ListCustomerOnDemandResources":          bss.GenReqDefForListCustomerOnDemandResources,
	"ListFreeResourceInfos":                  bss.GenReqDefForListFreeResourceInfos,
	"ListFreeResourceUsages":                 bss.GenReqDefForListFreeResourceUsages,
	"CreatePersonalRealnameAuth":             bss.GenReqDefForCreatePersonalRealnameAuth,
	"CreateEnterpriseRealnameAuthentication": bss.GenReqDefForCreateEnterpriseRealnameAuthentication,
	"ChangeEnterpriseRealnameAuthentication": bss.GenReqDefForChangeEnterpriseRealnameAuthentication,
	"ShowRealnameAuthenticationReviewResult": bss.GenReqDefForShowRealnameAuthenticationReviewResult,
	"ListServiceTypes":                       bss.GenReqDefForListServiceTypes,
	"ListResourceTypes":                      bss.GenReqDefForListResourceTypes,
	"ListMeasureUnits":                       bss.GenReqDefForListMeasureUnits,
	"ListConversions":                        bss.GenReqDefForListConversions,
	"ListServiceResources":                   bss.GenReqDefForListServiceResources,
	"ListUsageTypes":                         bss.GenReqDefForListUsageTypes,
	"ListRateOnPeriodDetail":                 bss.GenReqDefForListRateOnPeriodDetail,
	"ListOnDemandResourceRatings":            bss.GenReqDefForListOnDemandResourceRatings,
	"ListProvinces":                          bss.GenReqDefForListProvinces,
	"ListCities":                             bss.GenReqDefForListCities,
	"ListCounties":                           bss.GenReqDefForListCounties,
	"KeystoneCreateUserTokenByPassword":      iam.GenReqDefForKeystoneCreateUserTokenByPassword,
	"KeystoneCreateAgencyToken":              iam.GenReqDefForKeystoneCreateAgencyToken,
	"KeystoneListAuthDomains":                iam.GenReqDefForKeystoneListAuthDomains,
}

func TestRoutesMatchSDK(t *testing.T) {
	sb, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, rt := range sb.routes {
		path := "/" + strings.Join(rt.segments, "/")
		names := []string{rt.name}
		if rt.nameOf != nil { // one path, several operations (POST /v3/auth/tokens)
			names = []string{"KeystoneCreateUserTokenByPassword", "KeystoneCreateAgencyToken"}
		}
		for _, name := range names {
			served[name] = true
			gen, ok := sdkDefs[name]
			if !ok {
				t.Errorf("route %s %s serves %q, which is not in the SDK table", rt.method, path, name)
				continue
			}
			d := gen()
			if d.Method != rt.method || d.Path != path {
				t.Errorf("%s: sandbox serves %s %s, SDK sends %s %s", name, rt.method, path, d.Method, d.Path)
			}
		}
	}
	for name := range sdkDefs {
		if !served[name] {
			t.Errorf("%s is not served", name)
		}
	}
}

func TestUnknownPath(t *testing.T) {
	sb, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/v2/no/such/api"},
		{http.MethodDelete, "/v2/partners/sub-customers/query"},       // known path, wrong method
		{http.MethodPost, "/v2/orders/subscriptions/resources/query"}, // the SDK spells it "suscriptions"
	} {
		rec := httptest.NewRecorder()
		req, _ := http.NewRequest(tc.method, tc.path, nil)
		sb.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), `"APIG.0101"`) {
			t.Errorf("%s %s = %d %s, want 404 APIG.0101", tc.method, tc.path, rec.Code, rec.Body)
		}
		if rec.Header().Get("X-Request-Id") == "" {
			t.Errorf("%s %s: no X-Request-Id", tc.method, tc.path)
		}
	}
}
