package sandbox

import "net/http"

// registerCommerceRoutes registers orders, resources, catalogue and
// real-name authentication.
func (s *Sandbox) registerCommerceRoutes() {
	// Orders (orders.go).
	s.handle(http.MethodGet, "/v2/orders/customer-orders", "ListCustomerOrders", callerAny, s.listCustomerOrders)
	s.handle(http.MethodGet, "/v2/orders/customer-orders/details/{order_id}", "ShowCustomerOrderDetails", callerAny, s.showCustomerOrderDetails)
	s.handle(http.MethodGet, "/v2/orders/customer-orders/order-discounts", "ListOrderDiscounts", callerCustomer, s.listOrderDiscounts)
	s.handle(http.MethodGet, "/v2/orders/customer-orders/order-coupons", "ListOrderCouponsByOrderId", callerCustomer, s.listOrderCouponsByOrderID)
	s.handle(http.MethodPost, "/v3/orders/customer-orders/pay", "PayOrders", callerCustomer, s.payOrders)
	s.handle(http.MethodPut, "/v2/orders/customer-orders/cancel", "CancelCustomerOrder", callerCustomer, s.cancelCustomerOrder)
	s.handle(http.MethodGet, "/v2/orders/customer-orders/refund-orders", "ShowRefundOrderDetails", callerAny, s.showRefundOrderDetails)

	// Resources (resources.go).
	s.handle(http.MethodPost, "/v2/orders/suscriptions/resources/query", "ListPayPerUseCustomerResources", callerAny, s.listPayPerUseCustomerResources)
	s.handle(http.MethodPost, "/v2/orders/subscriptions/resources/renew", "RenewalResources", callerCustomer, s.renewalResources)
	s.handle(http.MethodPost, "/v2/orders/subscriptions/resources/autorenew/{resource_id}", "AutoRenewalResources", callerCustomer, s.autoRenewalResources)
	s.handle(http.MethodDelete, "/v2/orders/subscriptions/resources/autorenew/{resource_id}", "CancelAutoRenewalResources", callerCustomer, s.cancelAutoRenewalResources)
	s.handle(http.MethodPost, "/v2/orders/subscriptions/resources/unsubscribe", "CancelResourcesSubscription", callerCustomer, s.cancelResourcesSubscription)
	s.handle(http.MethodPost, "/v2/orders/subscriptions/resources/to-on-demand", "UpdatePeriodToOnDemand", callerCustomer, s.updatePeriodToOnDemand)
	s.handle(http.MethodPost, "/v2/bills/ratings/period-resources/renew-rate", "ListRenewRateOnPeriod", callerCustomer, s.listRenewRateOnPeriod)
	s.handle(http.MethodPost, "/v2/partners/sub-customers/on-demand-resources/query", "ListCustomerOnDemandResources", callerPartner, s.listCustomerOnDemandResources)
	s.handle(http.MethodPost, "/v3/payments/free-resources/query", "ListFreeResourceInfos", callerCustomer, s.listFreeResourceInfos)
	s.handle(http.MethodPost, "/v2/payments/free-resources/usages/details/query", "ListFreeResourceUsages", callerCustomer, s.listFreeResourceUsages)

	// Real-name authentication (realname.go).
	s.handle(http.MethodPost, "/v2/customers/realname-auths/individual", "CreatePersonalRealnameAuth", callerPartner, s.createPersonalRealnameAuth)
	s.handle(http.MethodPost, "/v2/customers/realname-auths/enterprise", "CreateEnterpriseRealnameAuthentication", callerPartner, s.createEnterpriseRealnameAuthentication)
	s.handle(http.MethodPut, "/v2/customers/realname-auths/enterprise", "ChangeEnterpriseRealnameAuthentication", callerPartner, s.changeEnterpriseRealnameAuthentication)
	s.handle(http.MethodGet, "/v2/customers/realname-auths/result", "ShowRealnameAuthenticationReviewResult", callerPartner, s.showRealnameAuthenticationReviewResult)

	// Catalogue (catalogue.go).
	s.handle(http.MethodGet, "/v2/products/service-types", "ListServiceTypes", callerAny, s.listServiceTypes)
	s.handle(http.MethodGet, "/v2/products/resource-types", "ListResourceTypes", callerAny, s.listResourceTypes)
	s.handle(http.MethodGet, "/v2/bases/measurements", "ListMeasureUnits", callerAny, s.listMeasureUnits)
	s.handle(http.MethodGet, "/v2/bases/conversions", "ListConversions", callerAny, s.listConversions)
	s.handle(http.MethodGet, "/v2/systems/configs/provinces", "ListProvinces", callerPartner, s.listProvinces)
	s.handle(http.MethodGet, "/v2/systems/configs/cities", "ListCities", callerPartner, s.listCities)
	s.handle(http.MethodGet, "/v2/systems/configs/counties", "ListCounties", callerPartner, s.listCounties)
}
