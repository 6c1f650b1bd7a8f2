// Package sandbox is a faithful emulator of the Huawei Cloud partner (BSS v2),
// service ticket (OSM v2) and IAM APIs that partnergraph talks to. It is the
// far side of the wire: the official Go SDK
// (github.com/huaweicloud/huaweicloud-sdk-go-v3 v0.1.207, services/bss/v2,
// services/osm/v2 and services/iam/v3) talks to it unchanged, with the same
// methods and paths (upstream typos included), JSON field names and number
// types, SDK-HMAC-SHA256 signatures, IAM tokens, error codes and stateful,
// conserved money and coupon quota. It imports none of the gateway's packages
// and is served by one http.Handler (Sandbox.Handler) on one port for BSS,
// OSM and IAM.
//
// # Running it
//
//	partnergraph sandbox --listen 127.0.0.1:18080 [--seed N] [--customers N]
//
// prints one JSON line (Manifest) on stdout:
//
//	{"endpoint":"http://127.0.0.1:18080","iam_endpoint":"http://127.0.0.1:18080",
//	 "partners":[{"kind":"tier1|tier2|provider","id":"<domain id>","name":"…","ak":"…","sk":"…",
//	              "parent_id":"<tier-1 id, tier2 only>","agency_name":"…",
//	              "obs":{"endpoint":"<the endpoint>","bucket":"…-realname","ak":"…","sk":"…","path_style":true}}, …],
//	 "customers":[{"id":"…","name":"…","partner_id":"<direct owner>","association_type":"1|2"}, …]}
//
// Partners are listed tier1, tier2, tier2, provider; customers are a sample of
// up to 20 (five per partner), each partner's showcase customer first among
// its own. Point the SDK at the endpoint with WithEndpoints([]string{endpoint})
// and global.NewCredentialsBuilder().WithAk(ak).WithSk(sk).
//
// # Dataset
//
// Deterministic from --seed (and Options.Epoch, default today 00:00 UTC):
// one tier-1 distributor, two tier-2 resellers under it, one solution
// provider; --customers (default 60, 10 000 starts in about 0.3 s) spread
// over them, consultant-sale ("1") and resale ("2") customers, balances given
// by seeded allocations (with their adjust and account change records),
// coupon quotas (each partner has an active quota with a balance ≥ 1000; the
// tier-2s' quotas are child quotas carved from the tier-1's), issued coupons,
// pending (status 6) and completed orders, yearly/monthly main and child
// resources, on-demand resources and resource packages. Each partner's first
// (showcase) customer is a resale customer with a positive balance, pending
// orders, in-use resources, on-demand resources and a resource package. The
// tier-1's direct customers are legacy associations: new ones are refused
// (CreateSubCustomer without indirect_partner_id → 400 CBC.50010059). Each
// partner has one pending pay-on-behalf order addressed to it (orders.go),
// some resale customers a closed coupon (expired or reclaimed), and each
// partner an OBS bucket holding sample documents (obs.go). These later
// additions draw from their own random sources, so the rest of a seed's
// dataset is unchanged by them.
//
// # Authentication
//
// Every BSS operation takes either an SDK-HMAC-SHA256 signature (the
// partner's AK/SK; X-Sdk-Date at most 15 minutes off; unknown AK, wrong
// signature or a tampered body or query → 401 APIG.0301 "Incorrect IAM
// authentication information: verify aksk signature fail", a stale date →
// "…signature expired…"; an AK is locked for 5 minutes after more than 5
// consecutive failures) or an IAM token in X-Auth-Token (unknown → "decrypt
// token fail", expired → "token expires"). Tokens come from POST
// /v3/auth/tokens and are valid 24 hours:
//
//   - password method (KeystoneCreateUserTokenByPassword): user name and
//     domain name = the partner's account name (GET /v3/auth/domains,
//     KeystoneListAuthDomains, returns it), and — the sandbox's password
//     convention — the password is the partner's SK.
//   - assume_role (KeystoneCreateAgencyToken), authenticated by a partner
//     token or AK/SK signature: agency_name = the partner's agency_name from
//     the manifest, domain_id (or domain_name) = one of the partner's own
//     customers (a tier-1 may also assume into its tier-2s' customers). The
//     returned X-Subject-Token is a customer token for customer-only
//     operations; build the BSS client with
//     WithCredentialsType("global.Credentials,v3.IamCredentials") and
//     iam.NewIamCredentialsBuilder().WithXAuthToken(token).Build().
//
// IAM errors use IAM's nested shape {"error":{"code","message","title"}}:
// 400 IAM.0003 malformed body, 401 IAM.0004 wrong user or password, 403
// IAM.0002 agency or domain not allowed.
//
// Caller rules: partner credentials on a customer-only operation, customer
// tokens on a partner operation, or non-tier-1 partners on tier-1 operations
// → 403 CBC.0151. Every response carries X-Request-Id; unknown paths → 404
// APIG.0101.
//
// # Operations
//
// One domain, one file: <domain>.go holds the domain's handlers and, at its
// top, register<Domain>Routes, the domain's routes with the callers each
// accepts; server.go's registerRoutes lists the domains.
//
//   - iam.go: KeystoneCreateUserTokenByPassword, KeystoneCreateAgencyToken,
//     KeystoneListAuthDomains.
//   - customers.go (partner): ListSubCustomers (limit ≤ 100; rows carry
//     xaccount_id, xaccount_type, customer_type; there is no xaccount_id
//     filter upstream: page and match), ListSubCustomerNewTag (≤ 200 ids,
//     limit ≤ 200).
//   - resellers.go (tier-1): ListIndirectPartners.
//   - registration.go (partner): CheckUserIdentity,
//     SendVerificationMessageCode (scene 29 registration, 18 bank card),
//     CreateSubCustomer; real-name authentication:
//     CreatePersonalRealnameAuth (id document or bank card),
//     CreateEnterpriseRealnameAuthentication,
//     ChangeEnterpriseRealnameAuthentication,
//     ShowRealnameAuthenticationReviewResult; attachments are keys under
//     download/ of the partner's OBS bucket and must exist there.
//   - obs.go: the partners' OBS buckets on the same listener,
//     /<bucket>/<key> (or Host <bucket>.…): PUT, GET, HEAD, DELETE signed
//     by presigned URLs (V2 or V4 query string, as the OBS SDK's
//     CreateSignedUrl makes them) or Authorization headers, expiry enforced
//     on the sandbox clock.
//   - funds.go: ListPartnerBalances, ListCustomersBalancesDetail (1–100 ids),
//     UpdateCustomerAccountAmount, ReclaimToPartnerAccount,
//     UpdateIndirectPartnerAccount and ReclaimIndirectPartnerAccount
//     (tier-1), ListPartnerAdjustRecords, ListPartnerAccountChangeRecords
//     (a tier-2's, by its tier-1 with indirect_partner_id or by itself);
//     customer: ShowCustomerAccountBalances, ListCustomerAccountChangeRecords.
//     The upstream has no partner verification-setting operation.
//   - coupons.go: ListQuotaCoupons, CreatePartnerCoupons (≤ 100 customers),
//     ListIssuedPartnerCoupons (every upstream filter), ReclaimPartnerCoupons,
//     ListPartnerCouponsRecord (1 issue, 2 reclaim, 4 expiry, with the
//     amounts moved); tier-1: ListIssuedCouponQuotas,
//     UpdateCouponQuotas, ReclaimCouponQuotas, ListCouponQuotasRecords;
//     customer: ListSubCustomerCoupons.
//   - catalogue.go: ListServiceTypes, ListResourceTypes,
//     ListServiceResources, ListUsageTypes, ListMeasureUnits,
//     ListConversions (partner or customer); ListProvinces, ListCities,
//     ListCounties (partner).
//   - prices.go (partner or customer): ListRateOnPeriodDetail,
//     ListOnDemandResourceRatings (≤ 100 products; project_id one of the
//     caller's projects, projectOf(domain id, region)), priced from the
//     seed's catalogue: a quote costs what an order of the product costs.
//   - orders.go: ListCustomerOrders (agent_pay_info on pay-on-behalf
//     orders; no filter for them upstream), ShowCustomerOrderDetails,
//     ShowRefundOrderDetails (partner or customer); customer:
//     ListOrderDiscounts, ListOrderCouponsByOrderId, PayOrders (a
//     pay-on-behalf order by its partner's token, from the partner's
//     balance), CancelCustomerOrder.
//   - resources.go: ListPayPerUseCustomerResources (partner or customer),
//     ListCustomerOnDemandResources (partner); customer: RenewalResources,
//     AutoRenewalResources, CancelAutoRenewalResources,
//     CancelResourcesSubscription, UpdatePeriodToOnDemand,
//     ListRenewRateOnPeriod, ListFreeResourceInfos, ListFreeResourceUsages.
//   - tickets*.go (OSM v2 service tickets, partner or customer, each on its
//     own tickets): see "Service tickets" below.
//
// The other files are the machinery: sandbox.go (Options, New, Manifest),
// server.go (routing, caller rules, errors, paging), auth.go (signatures and
// tokens), state.go (the state, its ids and wire times), seed.go and
// seed_orders.go (the dataset), testapi.go (the /_sandbox/ endpoints).
//
// List operations page with offset/limit (default 10); limit above the
// maximum (100 unless stated) or below 1 → 400 CBC.0100. Totals are named as
// upstream names them (total_count, or count for ListSubCustomers,
// ListIndirectPartners, ListSubCustomerCoupons).
//
// # Business rules and error conventions
//
//   - A partner acts on its own direct customers. A tier-1 passes
//     indirect_partner_id (one of its tier-2s, else 400 CBC.99000037) to act
//     on that reseller's customers, funds, quotas and coupons; allocations
//     then come from the tier-2's balance and are recorded as the tier-2's.
//   - Another partner's customer: mutations → 400 CBC.99000035; record
//     queries → 200 with an empty list (documented upstream behaviour);
//     batch queries (ListCustomersBalancesDetail, ListSubCustomerNewTag) →
//     the id is simply absent.
//   - Consultant-sale customers ("1") have no partner funds: allocation or
//     reclaim → 400 CBC.0100 (the retired v1.0 API said CBC.5021); coupons →
//     CBC.99000014 in error_details.
//   - Amounts must be > 0 with at most 2 decimals (else 400 CBC.0100).
//     Allocations are capped by the partner's amount − designated_amount,
//     reclaims by the customer's (or tier-2's) balance: 400 CBC.99005003.
//   - CreatePartnerCoupons, UpdateCouponQuotas and ReclaimCouponQuotas
//     answer 200 with per-item failures in error_details (CBC.99000035 not
//     your customer, CBC.99000013 quota insufficient, CBC.99000037 not your
//     reseller, CBC.99000012 not your quota); a bad quota for the whole call
//     is a 400 (CBC.99000012, CBC.99000017 expired, CBC.99000018/19 face
//     value outside the quota's range, CBC.99000023 service limits).
//   - CreateSubCustomer: CBC.99000039 duplicate xaccount_id, CBC.99000038
//     login name exists, CBC.99000031 bad login name, CBC.99000029 mobile
//     exists, CBC.5017 bad mobile, CBC.99000036 bad password; the SMS code
//     (scene 29, GET /_sandbox/sms) wrong → CBC.99004010, expired →
//     CBC.99004008, after 3 failures → CBC.99004009. The association
//     completes 3 s later (sandbox clock); until then the customer is
//     invisible everywhere. include_association_result=true completes it
//     before the call returns.
//   - Money is decimal throughout; every movement appends records: adjust
//     records (the owning partner's), partner and customer account change
//     records, coupon records (1 issue, 2 reclaim, 4 expiry) and quota
//     records (10 issue, 11 reclaim). Money and quota are conserved: Σ
//     balances + paid − refunded and Σ quota + coupon balances + coupon value
//     spent stay equal to the seed totals.
//   - A product quote the catalogue cannot price fails the call with 400
//     CBC.99006006 (the SDK's rating models have no per-product failure).
//
// # Service tickets (OSM v2)
//
// Served on the same port with the same signatures and tokens as BSS; every
// operation accepts a partner (AK/SK or token) or a customer token, and a
// ticket belongs to the account behind the credential (OSM-API.md §1.3): a
// partner sees its own tickets, a customer token (assume_role) the
// customer's; xcustomer_id/xcustomer_name name the IAM user that submitted
// it (the account itself, or the partner's agency user). Business errors
// are HTTP 200 with {"error_code":"OSM.0101xxxx","error_msg"} as upstream
// answers them; unreadable requests (body not JSON of the model, numeric
// parameters not numbers or out of range) are 400 OSM.0001. Statuses,
// actions, the simulated engineer (Options.TicketReplyDelay, default 30 s)
// and the error rules are in tickets.go; limits in the files below.
//
// Served (52 of the SDK's 82 operations):
//
//   - cases (tickets_cases.go): CreateCases, ListCases, DownloadCases (CSV),
//     ShowCaseDetail, ShowCaseStatus, ListCaseCounts, UpdateCases (press,
//     cancel, close, delete), CreateScores, UpdateCaseContactInfo,
//     ShowCaseExtendsParam, CreateCaseExtendsParam, ListCaseOperateLogs,
//     CreateRelations, ListRelation, DeleteRelation.
//   - messages (tickets_messages.go): ListMessages, CreateMessages,
//     ListMoreInstantMessages, ListNewInstantMessages and
//     ListUnreadNewInstantMessages (≤ 100 case_ids),
//     UpdateNewInstantMessagesRead, RevokeMessage.
//   - attachments (tickets_accessories.go): ShowAccessoryLimits,
//     UploadJsonAccessories, UploadAccessory, DownloadAccessories,
//     DownloadImages, ShowDownloadAccessoryUrl, ListAccessoryAccessUrls,
//     DeleteAccessories.
//   - form data (tickets_config.go): ListCaseCategories,
//     ListProductCategories, ListProblemTypes, ListCaseTemplates,
//     ListSeverities, ListExtendsParams, ListRegions, ListAreaCodes,
//     ListCaseLimits, ListSatisfactionDimensions, ListCaseQuotas,
//     ShowLatestPublishedAgreement, ShowSignedLatestPublishedAgreement,
//     SignPublishedAgreement, ShowCustomerPrivilegePolicy, ListPrivileges,
//     ShowPartnersCasesPrivilege, ShowPartnersServiceInfo.
//   - contact verification (tickets_contacts.go): CheckNeedVerify,
//     SendVerifyCodes, CheckVerifyCodes, ListHasVerifiedContacts.
//
// Not served (404 APIG.0101): labels (CreateLabels, ListLabels,
// UpdateLabels, DeleteLabels, ListCaseLabels, CreateCaseLabels,
// DeleteCaseLabels; tickets carry no labels, a label_id_list filter matches
// none), ListCaseCcEmails, ListOrderIncident (legacy),
// ListCustomersRegions, ListSubCustomers (OSM's IAM sub-users),
// ListAgencies, CreatePrivileges, ShowConfiguration, authorizations
// (ListAuthorizations, ShowAuthorizationDetail, ConfirmAuthorizations,
// UpdateAuthorizations, CheckHosts, ShowLoginType, ListHistorySessions,
// ListHistoryOperateLogs, ListTransportHistories), diagnosis
// (CreateDiagnoseJob, ListDiagnoseJob, ListDiagnoseItems,
// ListDiagnoseRecords, ListDiagnoseResources, CreateDiagnoseFeedback) and
// CreateFeedback.
//
// Seeded (tickets_seed.go): each partner's showcase customer has tickets
// in statuses 0, 1, 2, 3 (rated), 4, 13 and 17 with customer and engineer
// messages and attachments; each partner two of its own. The download URL
// of ShowDownloadAccessoryUrl points at this sandbox and is served without
// credentials for 5 minutes (counted as DownloadAccessories).
//
// # Test endpoints (/_sandbox/, no authentication)
//
//	GET    /_sandbox/stats        {"calls":{"ListSubCustomers":3,…}} calls per SDK operation name (OBS: "obs:PutObject", …)
//	POST   /_sandbox/stats/reset  zeroes the counters and forgets the recent requests
//	GET    /_sandbox/requests     {"requests":[{"operation","request_id","auth","signed_headers"}]} the last 1000 routed calls, oldest first
//	GET    /_sandbox/faults       the active fault rules
//	POST   /_sandbox/faults       replaces the rules (an empty list clears them)
//	DELETE /_sandbox/faults       clears the rules (204)
//	GET    /_sandbox/sms          {"messages":[{"mobile","code","scene","customer_id","sent_at","expires_at","failures","used"}]}
//	                              (scene 29/18 registration; OSM contact codes: 100 mobile, 101 e-mail, "mobile" = the contact)
//
// Fault rules (the first matching rule that hits a call applies):
//
//	{"faults":[{
//	  "operation":  "UpdateCustomerAccountAmount", // SDK operation name; "" or "*" = every operation
//	  "latency_ms": 200,      // added before answering
//	  "error_rate": 1.0,      // probability a matching call is hit; 0/absent = always
//	  "status":     500,      // answer with this status (400..599) …
//	  "code":       "CBC.0999", // … and error_code (default CBC.0999), "message" optional
//	  "throttle":   false,    // answer 429 APIG.0308 (rate limit) instead
//	  "drop":       false,    // close the connection without a response …
//	  "after":      false,    // … after applying the operation (the reply is lost)
//	  "count":      1         // hit at most this many calls, then the rule is removed; 0 = unlimited
//	}]}
//
// A rule with only latency_ms delays the call and then runs it normally.
// "drop" with "after" is the "upstream applied it but the reply was lost"
// case for reconciliation tests.
package sandbox
