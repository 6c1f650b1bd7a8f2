// Package watch feeds the ticket subscriptions: live updates without
// polling by the client. The gateway polls instead, once per account on a
// shared schedule, whatever the number of subscribers:
//
//   - a Hub keeps one poller per ticket owner (an account's own tickets,
//     or one customer's). The first subscriber starts it; it stops when the
//     last one leaves, so an account nobody watches costs nothing;
//   - each poll reads the status and the messages newer than the poller's
//     cursor of every watched ticket in one upstream call
//     (ListNewInstantMessages, up to 100 tickets). The tickets watched are
//     those named by subscribers, then, when a subscriber follows all the
//     open tickets, the newest open ones (re-listed every few polls, and at
//     the next poll after Touch) up to the 100 the call takes;
//   - a subscription starts with an immediate poll that only records what
//     its tickets hold (the first one of a poller also the cursor): updates
//     are what happens after it. Later polls turn a new message or a new
//     status into an Event (a ticket that newly appears among the open ones
//     sends its messages); when a poll has events, the unread counts of
//     their tickets are read in one more call;
//   - events fan out to the subscribers of their ticket (and to those
//     following all open tickets). A subscriber that falls Options.Buffer
//     events behind is dropped: its channel closes, as it does when the
//     subscriber's context ends;
//   - Subscribe refuses beyond Options.PerAccount subscribers of one owner
//     and Options.Total in all.
//
// A failed poll is retried at the next tick; subscribers are not told.
package watch

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"partnergraph/gateway"
)

// Source is what the pollers read; *gateway.Client meets it.
type Source interface {
	TicketActivity(ctx context.Context, o gateway.TicketOwner, ids []string, cursor string) (gateway.TicketActivity, error)
	TicketUnread(ctx context.Context, o gateway.TicketOwner, ids []string) (map[string]gateway.TicketUnread, error)
	Tickets(ctx context.Context, o gateway.TicketOwner, q gateway.TicketQuery) (gateway.TicketList, error)
}

var _ Source = (*gateway.Client)(nil)

// Options tune a Hub; zero values take the defaults shown.
type Options struct {
	// Interval is the time between two polls of one owner: 5s.
	Interval time.Duration
	// OpenRefresh is how many polls apart the open tickets are listed
	// again for the subscribers that follow them all: 6.
	OpenRefresh int
	// PerAccount bounds the subscribers of one owner: 20.
	PerAccount int
	// Total bounds the subscribers of the hub: 1000.
	Total int
	// Buffer is how many events a subscriber may lag behind: 16.
	Buffer int
	// Now stamps events (default time.Now).
	Now func() time.Time
	// OnError, when set, hears about failed polls.
	OnError func(gateway.TicketOwner, error)
}

func (o *Options) setDefaults() {
	if o.Interval <= 0 {
		o.Interval = 5 * time.Second
	}
	if o.OpenRefresh <= 0 {
		o.OpenRefresh = 6
	}
	if o.PerAccount <= 0 {
		o.PerAccount = 20
	}
	if o.Total <= 0 {
		o.Total = 1000
	}
	if o.Buffer <= 0 {
		o.Buffer = 16
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// The limits Subscribe enforces.
var (
	ErrAccountLimit = errors.New("too many subscriptions for this account")
	ErrHubFull      = errors.New("too many subscriptions on this gateway")
)

// Event is a change of one ticket.
type Event struct {
	Ticket string
	Status int
	// PreviousStatus is set when the status changed.
	PreviousStatus *int
	// Messages are the messages posted since the previous poll, oldest first.
	Messages []gateway.TicketMessage
	// Unread is the ticket's unread count, when it could be read.
	Unread *int
	At     time.Time
}

// Hub runs the pollers. It is safe for concurrent use.
type Hub struct {
	src Source
	o   Options

	mu      sync.Mutex
	pollers map[gateway.TicketOwner]*poller
	total   int
}

// New returns a hub reading from src.
func New(src Source, o Options) *Hub {
	o.setDefaults()
	return &Hub{src: src, o: o, pollers: map[gateway.TicketOwner]*poller{}}
}

// subscriber is one subscription. ids nil: all open tickets.
type subscriber struct {
	ids map[string]bool
	ch  chan Event
}

type poller struct {
	owner  gateway.TicketOwner
	subs   map[*subscriber]struct{}
	cancel context.CancelFunc
	wake   chan struct{} // a subscriber joined: poll now
	list   bool          // list the open tickets at the next poll
	joined bool          // a subscriber joined: unknown tickets are baseline

	// Owned by the poller's goroutine.
	started  bool
	cursor   string
	statuses map[string]int
	open     []string
	polls    int
}

// Subscribe follows tickets ids of owner, or all its open tickets when ids
// is empty, until ctx ends: then the channel closes. It also closes when
// the subscriber falls behind.
func (h *Hub) Subscribe(ctx context.Context, owner gateway.TicketOwner, ids []string) (<-chan Event, error) {
	s := &subscriber{ch: make(chan Event, h.o.Buffer)}
	if len(ids) > 0 {
		s.ids = map[string]bool{}
		for _, id := range ids {
			s.ids[id] = true
		}
	}
	h.mu.Lock()
	p := h.pollers[owner]
	switch {
	case h.total >= h.o.Total:
		h.mu.Unlock()
		return nil, ErrHubFull
	case p != nil && len(p.subs) >= h.o.PerAccount:
		h.mu.Unlock()
		return nil, ErrAccountLimit
	}
	if p == nil {
		pctx, cancel := context.WithCancel(context.Background())
		p = &poller{owner: owner, subs: map[*subscriber]struct{}{}, cancel: cancel, wake: make(chan struct{}, 1), statuses: map[string]int{}}
		h.pollers[owner] = p
		go h.run(pctx, p)
	}
	if s.ids == nil {
		p.list = true
	}
	p.joined = true
	p.subs[s] = struct{}{}
	h.total++
	h.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	context.AfterFunc(ctx, func() { h.leave(p, s) })
	return s.ch, nil
}

// leave removes s; the last subscriber stops the poller.
func (h *Hub) leave(p *poller, s *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := p.subs[s]; !ok {
		return
	}
	delete(p.subs, s)
	h.total--
	close(s.ch)
	if len(p.subs) == 0 {
		p.cancel()
		if h.pollers[p.owner] == p {
			delete(h.pollers, p.owner)
		}
	}
}

// Touch makes owner's poller, if any, list the open tickets at its next
// poll (a ticket was just opened through the gateway).
func (h *Hub) Touch(owner gateway.TicketOwner) {
	h.mu.Lock()
	if p := h.pollers[owner]; p != nil {
		p.list = true
	}
	h.mu.Unlock()
}

// Stats returns the number of pollers and subscribers.
func (h *Hub) Stats() (pollers, subscribers int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.pollers), h.total
}

func (h *Hub) run(ctx context.Context, p *poller) {
	t := time.NewTicker(h.o.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-p.wake:
		}
		h.poll(ctx, p)
	}
}

// watched returns the tickets the subscribers name, whether one follows
// all open tickets, whether the open list is due and whether a subscriber
// joined since the last poll.
func (h *Hub) watched(p *poller) (named []string, all, list, joined bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	seen := map[string]bool{}
	for s := range p.subs {
		if s.ids == nil {
			all = true
			continue
		}
		for id := range s.ids {
			if !seen[id] {
				seen[id] = true
				named = append(named, id)
			}
		}
	}
	sort.Strings(named)
	list = all && (p.list || p.polls%h.o.OpenRefresh == 0)
	if list {
		p.list = false
	}
	joined, p.joined = p.joined, false
	return named, all, list, joined
}

func (h *Hub) poll(ctx context.Context, p *poller) {
	named, all, list, joined := h.watched(p)
	p.polls++
	if list {
		l, err := h.src.Tickets(ctx, p.owner, gateway.TicketQuery{Window: gateway.Window{Limit: gateway.MaxTicketBatch}, Statuses: gateway.OpenTicketStatuses})
		if err != nil {
			h.failed(ctx, p, err)
		} else {
			p.open = p.open[:0]
			for _, t := range l.Tickets {
				p.open = append(p.open, t.ID)
			}
		}
	}
	ids := append([]string(nil), named...)
	if all {
		seen := map[string]bool{}
		for _, id := range named {
			seen[id] = true
		}
		for _, id := range p.open {
			if len(ids) >= gateway.MaxTicketBatch {
				break
			}
			if !seen[id] {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) > gateway.MaxTicketBatch {
		ids = ids[:gateway.MaxTicketBatch]
	}
	if len(ids) == 0 {
		return
	}
	act, err := h.src.TicketActivity(ctx, p.owner, ids, p.cursor)
	if err != nil {
		if joined { // the next poll records the baseline instead
			h.mu.Lock()
			p.joined = true
			h.mu.Unlock()
		}
		h.failed(ctx, p, err)
		return
	}
	// What a ticket holds when it is first watched after a subscriber
	// joined is the baseline; a ticket that turns up later among the open
	// ones is new and sends its messages.
	baseline := !p.started || joined
	p.started, p.cursor = true, act.Cursor
	now := h.o.Now().UTC()
	statuses := make(map[string]int, len(ids))
	var events []Event
	var changed []string
	for _, id := range ids {
		st, ok := act.Statuses[id]
		if !ok {
			continue
		}
		statuses[id] = st
		prev, known := p.statuses[id]
		msgs := act.Messages[id]
		if (!known && baseline) || (len(msgs) == 0 && (!known || prev == st)) {
			continue
		}
		ev := Event{Ticket: id, Status: st, Messages: msgs, At: now}
		if known && prev != st {
			ev.PreviousStatus = &prev
		}
		events = append(events, ev)
		changed = append(changed, id)
	}
	p.statuses = statuses
	if len(events) == 0 {
		return
	}
	if un, err := h.src.TicketUnread(ctx, p.owner, changed); err == nil {
		for i := range events {
			if u, ok := un[events[i].Ticket]; ok {
				n := u.Unread
				events[i].Unread = &n
			}
		}
	}
	h.dispatch(p, events)
	if all { // closed tickets sent their last update: stop watching them
		kept := p.open[:0]
		for _, id := range p.open {
			if st, ok := p.statuses[id]; !ok || gateway.TicketOpen(st) {
				kept = append(kept, id)
			}
		}
		p.open = kept
	}
}

func (h *Hub) failed(ctx context.Context, p *poller, err error) {
	if ctx.Err() == nil && h.o.OnError != nil {
		h.o.OnError(p.owner, err)
	}
}

// dispatch hands events to their subscribers without blocking: one that
// has no room is dropped.
func (h *Hub) dispatch(p *poller, events []Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var behind []*subscriber
	for s := range p.subs {
		for _, ev := range events {
			if s.ids != nil && !s.ids[ev.Ticket] {
				continue
			}
			select {
			case s.ch <- ev:
				continue
			default:
			}
			behind = append(behind, s)
			break
		}
	}
	for _, s := range behind {
		delete(p.subs, s)
		h.total--
		close(s.ch)
	}
	if len(p.subs) == 0 && len(behind) > 0 {
		p.cancel()
		if h.pollers[p.owner] == p {
			delete(h.pollers, p.owner)
		}
	}
}
