package edge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/go-redis/redis_rate/v10"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/redis/go-redis/v9"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"golang.org/x/time/rate"

	"partnergraph/apierr"
	"partnergraph/identity"
	"partnergraph/telemetry"
)

// Rate is a token bucket: Events tokens per Per refill it, Burst is its
// size. The zero Rate is no limit.
type Rate struct {
	Events int
	Per    time.Duration
	Burst  int
}

// ParseRate reads "N/s", "N/m" or "N/h"; "off" is no limit.
func ParseRate(s string) (Rate, error) {
	if s == "off" {
		return Rate{}, nil
	}
	n, unit, ok := strings.Cut(s, "/")
	events, err := strconv.Atoi(n)
	per := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}[unit]
	if !ok || err != nil || events < 1 || per == 0 {
		return Rate{}, errors.New(`must be N/s, N/m or N/h (N ≥ 1), or "off"`)
	}
	return Rate{Events: events, Per: per}, nil
}

func (r Rate) String() string {
	if r.Events == 0 {
		return "off"
	}
	unit := map[time.Duration]string{time.Second: "s", time.Minute: "m", time.Hour: "h"}[r.Per]
	if unit == "" {
		unit = r.Per.String()
	}
	return fmt.Sprintf("%d/%s burst %d", r.Events, unit, r.Burst)
}

// RateLimits limit how often one caller may call /graphql: per verified
// principal, or per client address for callers without a valid token
// (IPv6 addresses per /64). Sensitive mutations keep their own, stricter
// limits in the verification engine.
type RateLimits struct {
	Principal Rate
	Anonymous Rate
	// Limiter keeps the buckets (default: in memory, this instance only).
	Limiter Limiter
	// TrustedProxies are the load balancers in front of the gateway: for a
	// request from one of them the client is the last X-Forwarded-For
	// address that is not one of them.
	TrustedProxies []netip.Prefix
}

// Limiter takes one token from key's bucket: 0 when there was one, else how
// long until there is.
type Limiter interface {
	Take(ctx context.Context, key string, r Rate) (retryAfter time.Duration, err error)
}

// MemoryLimiter keeps token buckets (golang.org/x/time/rate) in this
// process, the least recently used forgotten past 100 000 keys or after an
// hour unused.
type MemoryLimiter struct {
	mu      sync.Mutex
	buckets *expirable.LRU[string, *rate.Limiter]
}

// NewMemoryLimiter returns an empty MemoryLimiter.
func NewMemoryLimiter() *MemoryLimiter {
	return &MemoryLimiter{buckets: expirable.NewLRU[string, *rate.Limiter](100_000, nil, time.Hour)}
}

// Take implements Limiter.
func (m *MemoryLimiter) Take(_ context.Context, key string, r Rate) (time.Duration, error) {
	k := key + "|" + r.String()
	m.mu.Lock()
	b, ok := m.buckets.Get(k)
	if !ok {
		b = rate.NewLimiter(rate.Limit(float64(r.Events)/r.Per.Seconds()), max(r.Burst, 1))
	}
	m.buckets.Add(k, b) // refreshes its expiry
	m.mu.Unlock()
	now := time.Now()
	res := b.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d, nil
	}
	return 0, nil
}

// RedisLimiter keeps the buckets in Redis, shared by every instance:
// go-redis/redis_rate's GCRA (a token bucket kept as one timestamp), one
// key per bucket, "rate:partnergraph:{<bucket>}", so a bucket stays in one
// hash slot on Redis Cluster.
type RedisLimiter struct{ l *redis_rate.Limiter }

// NewRedisLimiter returns a limiter on c.
func NewRedisLimiter(c redis.UniversalClient) *RedisLimiter {
	return &RedisLimiter{redis_rate.NewLimiter(c)}
}

// Take implements Limiter.
func (l *RedisLimiter) Take(ctx context.Context, key string, r Rate) (time.Duration, error) {
	res, err := l.l.Allow(ctx, "partnergraph:{"+key+"}", redis_rate.Limit{Rate: r.Events, Period: r.Per, Burst: max(r.Burst, 1)})
	if err != nil {
		return 0, err
	}
	if res.Allowed > 0 {
		return 0, nil
	}
	return max(res.RetryAfter, time.Millisecond), nil
}

// rateLimiter is the middleware of RateLimits. It runs after the identity
// middleware; when the shared limiter fails it falls back to this
// instance's buckets and logs (at most once a minute).
type rateLimiter struct {
	RateLimits
	fallback *MemoryLimiter
	present  graphql.ErrorPresenterFunc
	log      *slog.Logger
	mu       sync.Mutex
	lastLog  time.Time
}

func newRateLimiter(rl RateLimits, present graphql.ErrorPresenterFunc, log *slog.Logger) *rateLimiter {
	l := &rateLimiter{RateLimits: rl, fallback: NewMemoryLimiter(), present: present, log: log}
	if l.Limiter == nil {
		l.Limiter = l.fallback
	}
	return l
}

func (l *rateLimiter) handler(next http.Handler) http.Handler {
	if l.Principal.Events == 0 && l.Anonymous.Events == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, rt := l.bucket(r)
		if rt.Events == 0 {
			next.ServeHTTP(w, r)
			return
		}
		wait, err := l.Limiter.Take(r.Context(), key, rt)
		if err != nil {
			l.logOnce("rate limit: the shared limiter failed, using this instance's", err)
			wait, _ = l.fallback.Take(r.Context(), key, rt)
		}
		if wait <= 0 {
			next.ServeHTTP(w, r)
			return
		}
		secs := int(math.Ceil(wait.Seconds()))
		e := apierr.Errorf(apierr.CodeRateLimited, "too many requests; retry in %d s", secs)
		e.RetryAfter = secs
		mt, ok := negotiate(r.Header.Get("Accept"))
		if !ok {
			mt = mediaJSON
		}
		w.Header().Set("Content-Type", mt+"; charset=utf-8")
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		telemetry.FromContext(r.Context()).RateLimited()
		writeResponse(r.Context(), w, http.StatusTooManyRequests, &graphql.Response{Errors: gqlerror.List{l.present(r.Context(), e)}})
	})
}

// bucket names the caller's bucket: a digest of the verified principal, or
// the client address.
func (l *rateLimiter) bucket(r *http.Request) (string, Rate) {
	if p, err := identity.For(r.Context()); err == nil {
		h := sha256.Sum256([]byte(strings.Join([]string{string(p.Role), p.PartnerID, p.CustomerID, p.Subject}, "\x00")))
		return "p:" + hex.EncodeToString(h[:16]), l.Principal
	}
	return "a:" + clientAddress(r, l.TrustedProxies), l.Anonymous
}

func (l *rateLimiter) logOnce(msg string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if time.Since(l.lastLog) < time.Minute {
		return
	}
	l.lastLog = time.Now()
	l.log.Warn(msg, "err", err)
}

// clientAddress is the caller's address: the peer's, or for a peer among
// the trusted proxies the last X-Forwarded-For address that is not one of
// them; IPv6 addresses as their /64.
func clientAddress(r *http.Request, trusted []netip.Prefix) string {
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	addr := ap.Addr().Unmap()
	if isTrusted(addr) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break
			}
			addr = a.Unmap()
			if !isTrusted(addr) {
				break
			}
		}
	}
	if addr.Is6() {
		return netip.PrefixFrom(addr, 64).Masked().String()
	}
	return addr.String()
}

// ParsePrefixes reads a comma-separated list of CIDR prefixes or addresses.
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if p, err := netip.ParsePrefix(part); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR prefix", excerpt(part, 64))
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}
