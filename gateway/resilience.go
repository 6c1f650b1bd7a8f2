package gateway

// Resilience of the call path (send, client.go): reads are retried, writes are
// not; a circuit breaker per SDK operation; a bound on the calls in flight
// per partner credential.
//
//   - Reads (the operations listed in reads) are retried on a dropped or
//     refused connection, a 5xx and throttling (429 APIG.0308), after an
//     exponential backoff with full jitter, or the answer's Retry-After
//     when it is longer, and only while the request's deadline leaves room
//     for the wait and another call. Every other operation, including an
//     operation nobody listed, is called once: a money move keeps its
//     reconciliation (reconcile.go), and a new write is safe by default.
//   - A breaker per SDK operation (sony/gobreaker) opens after
//     Config.BreakerFailures consecutive unavailable answers, or when at
//     least half of 20 or more calls in 10 s were; open, it answers
//     UPSTREAM_UNAVAILABLE at once for Config.BreakerCooldown, then lets
//     trial calls through (half-open) and closes after 3 good answers.
//     Only unavailability counts: a business refusal (4xx) is an answer.
//   - Calls in flight are bounded per partner credential
//     (Config.MaxInFlight), customer-token calls included under the
//     partner whose agency made the token, so one busy tenant cannot take
//     the whole connection pool; a call waits for a slot at most
//     maxQueueWait, and never past its deadline.
//
// A call refused by the breaker or the bound was not sent: its error wraps
// ErrNotSent, and a money move treats it as applying nothing.

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	"github.com/sony/gobreaker/v2"
	"golang.org/x/sync/semaphore"

	"partnergraph/apierr"
	"partnergraph/telemetry"
)

// ErrNotSent is wrapped by the UPSTREAM_UNAVAILABLE error of a call the
// gateway did not send (breaker open, in-flight bound full).
var ErrNotSent = errors.New("the upstream call was not sent")

// reads are the SDK operations that change nothing upstream: only these
// are retried. An operation missing here is treated as a write (never
// retried); TestEveryOperationIsClassified fails when one of the gateway's
// operations is in neither list.
var reads = map[string]bool{
	"ListSubCustomers": true, "ListSubCustomerNewTag": true, "ListCustomersBalancesDetail": true,
	"ListPartnerBalances": true, "ListPartnerAccountChangeRecords": true, "ListPartnerAdjustRecords": true,
	"ListIndirectPartners": true, "ListServiceTypes": true, "ListResourceTypes": true, "ListMeasureUnits": true,
	"ListQuotaCoupons": true, "ListIssuedCouponQuotas": true, "ListCouponQuotasRecords": true,
	"ListIssuedPartnerCoupons": true, "ListPartnerCouponsRecord": true,
	"ListCustomerOrders": true, "ShowCustomerOrderDetails": true, "ListOrderDiscounts": true,
	"ListOrderCouponsByOrderId": true, "ShowRefundOrderDetails": true,
	"ListPayPerUseCustomerResources": true, "ListRenewRateOnPeriod": true, "ListCustomerOnDemandResources": true,
	"ListFreeResourceInfos": true, "ListFreeResourceUsages": true,
	"CheckUserIdentity": true, "ShowRealnameAuthenticationReviewResult": true,
	"ListServiceResources": true, "ListUsageTypes": true, "ListConversions": true,
	"ListProvinces": true, "ListCities": true, "ListCounties": true,
	"ListRateOnPeriodDetail": true, "ListOnDemandResourceRatings": true,
	// Service tickets (OSM).
	"ListCases": true, "ShowCaseStatus": true, "ShowCaseDetail": true, "ListMessages": true,
	"ListUnreadNewInstantMessages": true, "ListNewInstantMessages": true, "ListAccessoryAccessUrls": true,
	"ListCaseCategories": true, "ListProblemTypes": true, "ListCaseTemplates": true, "ListSeverities": true,
	"ListExtendsParams": true, "ListRegions": true, "ListAreaCodes": true, "ShowAccessoryLimits": true,
	"ListCaseQuotas": true, "ListSatisfactionDimensions": true,
}

// writes are the operations known to change upstream state, listed so the
// classification test can tell a write from a forgotten read.
var writes = map[string]bool{
	"UpdateCustomerAccountAmount": true, "ReclaimToPartnerAccount": true,
	"UpdateIndirectPartnerAccount": true, "ReclaimIndirectPartnerAccount": true,
	"UpdateCouponQuotas": true, "ReclaimCouponQuotas": true, "CreatePartnerCoupons": true, "ReclaimPartnerCoupons": true,
	"PayOrders": true, "CancelCustomerOrder": true, "RenewalResources": true,
	"AutoRenewalResources": true, "CancelAutoRenewalResources": true,
	"CancelResourcesSubscription": true, "UpdatePeriodToOnDemand": true,
	"SendVerificationMessageCode": true, "CreateSubCustomer": true,
	"CreatePersonalRealnameAuth": true, "CreateEnterpriseRealnameAuthentication": true,
	"ChangeEnterpriseRealnameAuthentication": true,
	// Service tickets (OSM).
	"CreateCases": true, "CreateMessages": true, "UpdateNewInstantMessagesRead": true, "UpdateCases": true,
	"CreateScores": true, "UploadJsonAccessories": true,
}

// Backoff of retried reads: full jitter on base·2^n, at most maxBackoff.
const (
	baseBackoff = 100 * time.Millisecond
	maxBackoff  = 2 * time.Second
	// maxRetryAfter caps an upstream's Retry-After.
	maxRetryAfter = 10 * time.Second
	// minCallTime is what must be left of the deadline, after the wait,
	// for a retry to be worth sending.
	minCallTime = 200 * time.Millisecond
	// maxQueueWait bounds the wait for an in-flight slot.
	maxQueueWait = time.Second
)

// resilience is a Client's breakers and in-flight bounds.
type resilience struct {
	metrics     *telemetry.Metrics
	failures    int
	cooldown    time.Duration
	maxInFlight int64

	breakers sync.Map // op → *gobreaker.TwoStepCircuitBreaker[struct{}]
	slots    sync.Map // account → *slots
}

type slots struct {
	sem   *semaphore.Weighted
	gauge interface {
		Inc()
		Dec()
	}
}

// breaker is op's breaker (nil when breakers are off).
func (r *resilience) breaker(op string) *gobreaker.TwoStepCircuitBreaker[struct{}] {
	if r == nil || r.failures <= 0 {
		return nil
	}
	if b, ok := r.breakers.Load(op); ok {
		return b.(*gobreaker.TwoStepCircuitBreaker[struct{}])
	}
	b := gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        op,
		MaxRequests: 3,
		Interval:    10 * time.Second,
		Timeout:     r.cooldown,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.ConsecutiveFailures >= uint32(r.failures) || (c.Requests >= 20 && c.TotalFailures*2 >= c.Requests)
		},
		IsSuccessful: func(err error) bool { return !errors.Is(err, errUnavailable) },
		IsExcluded:   func(err error) bool { return errors.Is(err, context.Canceled) },
		OnStateChange: func(name string, _, to gobreaker.State) {
			s := telemetry.BreakerClosed
			switch to {
			case gobreaker.StateHalfOpen:
				s = telemetry.BreakerHalfOpen
			case gobreaker.StateOpen:
				s = telemetry.BreakerOpen
			}
			r.metrics.BreakerState(name, s)
		},
	})
	actual, loaded := r.breakers.LoadOrStore(op, b)
	if !loaded {
		r.metrics.BreakerState(op, telemetry.BreakerClosed)
	}
	return actual.(*gobreaker.TwoStepCircuitBreaker[struct{}])
}

// acquire takes one of account's in-flight slots, waiting at most
// maxQueueWait and never past ctx; release gives it back.
func (r *resilience) acquire(ctx context.Context, account string) (release func(), ok bool) {
	if r == nil || r.maxInFlight <= 0 {
		return func() {}, true
	}
	v, found := r.slots.Load(account)
	if !found {
		s := &slots{sem: semaphore.NewWeighted(r.maxInFlight)}
		if g := r.metrics.InFlight(account); g != nil {
			s.gauge = g
		}
		v, _ = r.slots.LoadOrStore(account, s)
	}
	s := v.(*slots)
	if !s.sem.TryAcquire(1) {
		wctx, cancel := context.WithTimeout(ctx, maxQueueWait)
		err := s.sem.Acquire(wctx, 1)
		cancel()
		if err != nil {
			return nil, false
		}
	}
	if s.gauge != nil {
		s.gauge.Inc()
	}
	return func() {
		if s.gauge != nil {
			s.gauge.Dec()
		}
		s.sem.Release(1)
	}, true
}

// errUnavailable marks, for the breaker, an attempt the upstream did not
// answer usefully (network, 5xx, 429, timeout).
var errUnavailable = errors.New("upstream unavailable")

// attempt is how one call ended, for metrics, retries and the breaker.
type attempt struct {
	status      string        // the metrics' status label
	httpStatus  int           // the answer's HTTP status, 0 without one
	retryable   bool          // a read may be sent again
	reason      string        // why, for the retries metric
	unavailable bool          // counts against the breaker
	retryAfter  time.Duration // the answer's Retry-After
}

// classify sorts the outcome of one call: err is the SDK's error (nil on
// success), ctxErr the error of the call's context when it stopped waiting.
func classify(err, ctxErr error) attempt {
	switch {
	case ctxErr != nil && errors.Is(ctxErr, context.Canceled):
		return attempt{status: "cancelled"}
	case ctxErr != nil:
		return attempt{status: "timeout", unavailable: true}
	case err == nil:
		return attempt{status: "200", httpStatus: 200}
	}
	var se *sdkerr.ServiceResponseError
	if errors.As(err, &se) {
		a := attempt{status: strconv.Itoa(se.StatusCode), httpStatus: se.StatusCode}
		switch {
		case se.StatusCode == 429:
			a.retryable, a.reason, a.unavailable = true, "throttled", true
		case se.StatusCode >= 500:
			a.retryable, a.reason, a.unavailable = true, "5xx", true
		}
		return a
	}
	if errors.Is(err, errSDKPanic) {
		return attempt{status: "error"}
	}
	// No answer: the connection was refused, reset or closed.
	return attempt{status: "network", retryable: true, reason: "network", unavailable: true}
}

// errSDKPanic marks a call whose SDK method panicked.
var errSDKPanic = errors.New("sdk panic")

// backoff is the wait before retry n (1-based) of a read: full jitter on
// an exponential base, or the upstream's Retry-After when longer.
func backoff(n int, retryAfter time.Duration) time.Duration {
	ceil := min(baseBackoff<<(n-1), maxBackoff)
	d := time.Duration(rand.Int64N(int64(ceil) + 1))
	return max(d, min(retryAfter, maxRetryAfter))
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// notSent is the error of a call the gateway refused to send.
func notSent(op, msg string) *apierr.Error {
	return &apierr.Error{Code: apierr.CodeUpstreamUnavailable, Message: msg, Op: op, Err: ErrNotSent}
}
