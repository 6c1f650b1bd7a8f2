package telemetry

import "sync"

// OtherOperation is the label of anonymous operations and of names past the
// bound: a hostile client cannot add series by inventing names.
const OtherOperation = "other"

// DefaultOperations is how many operation names get a label of their own.
const DefaultOperations = 200

// maxOperationName is the longest name that gets a label of its own.
const maxOperationName = 64

// Operations bounds the operation label of the request metrics. Names of
// trusted documents are known from the start (Seed); other names are
// learnt, first come, up to the bound, and only from operations that
// executed for a caller with a valid token (Label's learn): an anonymous
// caller or a document that does not validate never adds a name.
type Operations struct {
	mu     sync.RWMutex
	known  map[string]struct{}
	learnt int
	max    int
}

// NewOperations returns a bound of max learnt names.
func NewOperations(max int) *Operations {
	return &Operations{known: map[string]struct{}{}, max: max}
}

// Seed makes names known whatever the bound (the trusted documents').
func (o *Operations) Seed(names ...string) {
	if o == nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, n := range names {
		if n != "" && len(n) <= maxOperationName {
			o.known[n] = struct{}{}
		}
	}
}

// Label is the label of operation name; learn says the name may be learnt
// (the operation executed for an authenticated caller).
func (o *Operations) Label(name string, learn bool) string {
	if o == nil || name == "" || len(name) > maxOperationName {
		return OtherOperation
	}
	o.mu.RLock()
	_, ok := o.known[name]
	full := o.learnt >= o.max
	o.mu.RUnlock()
	switch {
	case ok:
		return name
	case !learn || full:
		return OtherOperation
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.known[name]; ok {
		return name
	}
	if o.learnt >= o.max {
		return OtherOperation
	}
	o.known[name] = struct{}{}
	o.learnt++
	return name
}
