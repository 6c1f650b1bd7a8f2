package sandbox

import (
	"errors"
	"net/http"
	"sync"
	"time"
)

// Options configure a sandbox. The zero value is a small demo dataset.
type Options struct {
	// Seed selects the dataset: the same seed gives the same data.
	Seed int64
	// Customers is the number of customers generated across all partners
	// (default 60, at least 8: every partner needs its showcase customers).
	Customers int
	// Epoch is the base time every seeded timestamp is derived from
	// (default: today 00:00 UTC). Fix it for byte-identical datasets.
	Epoch time.Time
	// Now is the clock used for signatures, tokens, records and reviews
	// (default time.Now). Tests inject one to move time.
	Now func() time.Time
	// ReviewDelay is how long a submitted real-name review stays in
	// review before it completes (default 30s).
	ReviewDelay time.Duration
	// TicketReplyDelay is how long the simulated Huawei engineer takes to
	// answer an OSM ticket (a new ticket or the submitter's message) on the
	// sandbox clock (default 30s).
	TicketReplyDelay time.Duration
	// ShowcaseResources is how many yearly/monthly main resources each
	// showcase customer gets (default and minimum 3); batching tests ask
	// for 100.
	ShowcaseResources int
}

// Sandbox is one emulated Huawei Cloud: its state and its HTTP surface.
type Sandbox struct {
	opts    Options
	state   *State
	routes  []*route
	stats   *stats
	faults  *faults
	handler http.Handler

	authMu  sync.Mutex            // guards akFails
	akFails map[string]*akFailure // consecutive signature failures per AK
}

// New builds a sandbox and seeds its dataset.
func New(opts Options) (*Sandbox, error) {
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.Customers == 0 {
		opts.Customers = 60
	}
	if opts.Customers < 8 {
		return nil, errors.New("sandbox: at least 8 customers are needed")
	}
	if opts.Customers > 1_000_000 {
		return nil, errors.New("sandbox: at most 1000000 customers")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Epoch.IsZero() {
		opts.Epoch = opts.Now().UTC().Truncate(24 * time.Hour)
	}
	if opts.ReviewDelay == 0 {
		opts.ReviewDelay = 30 * time.Second
	}
	if opts.TicketReplyDelay == 0 {
		opts.TicketReplyDelay = 30 * time.Second
	}
	s := &Sandbox{opts: opts, stats: newStats(), faults: newFaults(opts.Seed), akFails: map[string]*akFailure{}}
	s.state = newState(opts)
	if err := s.state.seed(); err != nil {
		return nil, err
	}
	s.registerRoutes()
	s.handler = s.buildHandler()
	return s, nil
}

// Handler serves the BSS v2 and IAM APIs and the /_sandbox/ test endpoints
// on one port.
func (s *Sandbox) Handler() http.Handler { return s.handler }

// Manifest describes the demo partners (with their credentials) and a
// sample of customers, for printing at start-up and for tests.
type Manifest struct {
	Endpoint    string             `json:"endpoint"`
	IAMEndpoint string             `json:"iam_endpoint"`
	Partners    []ManifestPartner  `json:"partners"`
	Customers   []ManifestCustomer `json:"customers"`
}

// ManifestPartner is a demo partner account and its AK/SK.
type ManifestPartner struct {
	Kind       string `json:"kind"` // tier1 | tier2 | provider
	ID         string `json:"id"`
	Name       string `json:"name"`
	AK         string `json:"ak"`
	SK         string `json:"sk"`
	ParentID   string `json:"parent_id,omitempty"`
	AgencyName string `json:"agency_name"`
	// OBS is the partner's emulated OBS bucket (real-name attachments), on
	// the same endpoint and signed with the same AK/SK.
	OBS ManifestOBS `json:"obs"`
}

// ManifestCustomer is one customer of the sample.
type ManifestCustomer struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	PartnerID       string `json:"partner_id"`
	AssociationType string `json:"association_type"`
}

// Manifest returns the demo partners and up to 20 customers; each partner's
// showcase customer comes first among its own. endpoint is the base URL the
// handler is reachable at (the IAM endpoint is the same).
func (s *Sandbox) Manifest(endpoint string) Manifest {
	return s.state.manifest(endpoint)
}

// Stats returns the number of calls per SDK operation name since the last
// reset.
func (s *Sandbox) Stats() map[string]int64 { return s.stats.snapshot() }

// ResetStats zeroes the call counters and forgets the recent requests.
func (s *Sandbox) ResetStats() { s.stats.reset() }

// Requests returns the latest routed API calls (at most 1000), oldest
// first, with the X-Request-Id each was answered with.
func (s *Sandbox) Requests() []Request { return s.stats.requests() }
