package identity

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"golang.org/x/time/rate"
)

// jwksTiming is how often and how long the JWKS is fetched.
type jwksTiming struct {
	// refresh is the period of the background fetch: it picks up keys the
	// IdP publishes ahead of a rotation and drops keys it withdrew.
	refresh time.Duration
	// minRefresh is the least time between two fetches caused by a token
	// naming an unknown kid, so random kids cannot make a fetch storm.
	minRefresh time.Duration
	// timeout bounds one fetch, the start-up wait included, and what a
	// token with an unknown kid waits for the rate limiter and the fetch.
	timeout time.Duration
}

var defaultJWKSTiming = jwksTiming{refresh: 15 * time.Minute, minRefresh: 10 * time.Second, timeout: 5 * time.Second}

// jwks is a JWK Set kept fresh by keyfunc and jwkset.
type jwks struct {
	kf         keyfunc.Keyfunc
	unknownKID *rate.Limiter
	stop       context.CancelFunc // ends the refresh goroutine
}

// newJWKS fetches the set once (waiting at most t.timeout) and starts the
// refresh goroutine. A failed first fetch is logged, not returned: the set
// starts empty and is fetched again on the next unknown kid.
func newJWKS(url string, hc *http.Client, log *slog.Logger, t jwksTiming) (*jwks, error) {
	if hc == nil {
		hc = &http.Client{Timeout: t.timeout}
	}
	if log == nil {
		log = slog.Default()
	}
	ctx, stop := context.WithCancel(context.Background())
	store, err := jwkset.NewStorageFromHTTP(url, jwkset.HTTPClientStorageOptions{
		Client:                    hc,
		Ctx:                       ctx,
		HTTPTimeout:               t.timeout,
		NoErrorReturnFirstHTTPReq: true,
		RefreshErrorHandler: func(ctx context.Context, err error) {
			log.ErrorContext(ctx, "JWKS fetch failed; tokens signed with keys not yet fetched are refused", "url", url, "err", err)
		},
		RefreshInterval: t.refresh,
	})
	if err != nil {
		stop()
		return nil, fmt.Errorf("JWT JWKS URL: %w", err)
	}
	limiter := rate.NewLimiter(rate.Every(t.minRefresh), 1)
	client, err := jwkset.NewHTTPClient(jwkset.HTTPClientOptions{
		HTTPURLs: map[string]jwkset.Storage{url: store},
		// jwkset bounds the wait for the limiter and the fetch after it with
		// one deadline, so an unknown kid costs a request at most t.timeout.
		RateLimitWaitMax:  t.timeout,
		RefreshUnknownKID: limiter,
	})
	if err != nil {
		stop()
		return nil, fmt.Errorf("JWT JWKS: %w", err)
	}
	kf, err := keyfunc.New(keyfunc.Options{
		Ctx:     ctx,
		Storage: client,
		// A key without "use" may sign; one marked "enc" may not.
		UseWhitelist: []jwkset.USE{jwkset.UseSig, ""},
	})
	if err != nil {
		stop()
		return nil, fmt.Errorf("JWT JWKS: %w", err)
	}
	return &jwks{kf: kf, unknownKID: limiter, stop: stop}, nil
}
