package watch_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"partnergraph/gateway"
	"partnergraph/watch"
)

// fakeSource is an upstream of tickets with a global message sequence as
// the cursor, like the sandbox's.
type fakeSource struct {
	mu       sync.Mutex
	seq      int
	status   map[string]int
	messages map[string][]fakeMessage
	fail     bool

	activity, unread, lists atomic.Int32
}

type fakeMessage struct {
	seq  int
	text string
}

var _ watch.Source = (*fakeSource)(nil)

func newFake() *fakeSource {
	return &fakeSource{status: map[string]int{}, messages: map[string][]fakeMessage{}}
}

func (f *fakeSource) open(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status[id] = gateway.TicketSubmitted
	f.seq++
	f.messages[id] = append(f.messages[id], fakeMessage{f.seq, "description of " + id})
}

func (f *fakeSource) post(id, text string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	f.messages[id] = append(f.messages[id], fakeMessage{f.seq, text})
}

func (f *fakeSource) set(id string, st int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status[id] = st
}

func (f *fakeSource) TicketActivity(ctx context.Context, o gateway.TicketOwner, ids []string, cursor string) (gateway.TicketActivity, error) {
	f.activity.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return gateway.TicketActivity{}, errors.New("upstream down")
	}
	c, _ := strconv.Atoi(cursor)
	next := c
	out := gateway.TicketActivity{Statuses: map[string]int{}, Messages: map[string][]gateway.TicketMessage{}}
	for _, id := range ids {
		st, ok := f.status[id]
		if !ok {
			continue
		}
		out.Statuses[id] = st
		for _, m := range f.messages[id] {
			if m.seq > c {
				out.Messages[id] = append(out.Messages[id], gateway.TicketMessage{Content: m.text})
				next = max(next, m.seq)
			}
		}
	}
	out.Cursor = strconv.Itoa(next)
	return out, nil
}

func (f *fakeSource) TicketUnread(ctx context.Context, o gateway.TicketOwner, ids []string) (map[string]gateway.TicketUnread, error) {
	f.unread.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]gateway.TicketUnread{}
	for _, id := range ids {
		out[id] = gateway.TicketUnread{Status: f.status[id], Unread: len(f.messages[id])}
	}
	return out, nil
}

func (f *fakeSource) Tickets(ctx context.Context, o gateway.TicketOwner, q gateway.TicketQuery) (gateway.TicketList, error) {
	f.lists.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	var l gateway.TicketList
	for id, st := range f.status {
		if gateway.TicketOpen(st) {
			l.Tickets = append(l.Tickets, gateway.Ticket{ID: id, Status: st})
		}
	}
	l.Total = len(l.Tickets)
	return l, nil
}

var (
	ownerA = gateway.TicketOwner{Scope: gateway.Scope{Account: "p1"}}
	ownerB = gateway.TicketOwner{Scope: gateway.Scope{Account: "p1"}, Customer: "c1"}
)

const tick = 10 * time.Millisecond

func next(t *testing.T, ch <-chan watch.Event) watch.Event {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("subscription closed")
		}
		return ev
	case <-time.After(2 * time.Second):
		t.Fatal("no event")
	}
	return watch.Event{}
}

func quiet(t *testing.T, ch <-chan watch.Event) {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if ok {
			t.Fatalf("unexpected event %+v", ev)
		}
	case <-time.After(5 * tick):
	}
}

// waitFor polls cond until it holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestUpdatesReachTheirSubscribers(t *testing.T) {
	f := newFake()
	f.open("T1")
	f.open("T2")
	h := watch.New(f, watch.Options{Interval: tick})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	one, err := h.Subscribe(ctx, ownerA, []string{"T1"})
	if err != nil {
		t.Fatal(err)
	}
	all, err := h.Subscribe(ctx, ownerA, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the baseline", func() bool { return f.activity.Load() >= 1 })
	time.Sleep(3 * tick)

	f.post("T2", "engineer answer on T2")
	ev := next(t, all)
	if ev.Ticket != "T2" || len(ev.Messages) != 1 || ev.Messages[0].Content != "engineer answer on T2" || ev.PreviousStatus != nil || ev.Unread == nil {
		t.Fatalf("event %+v", ev)
	}
	quiet(t, one) // T1's subscriber hears nothing of T2

	f.set("T1", gateway.TicketAwaitingFeedback)
	for _, ch := range []<-chan watch.Event{one, all} {
		ev := next(t, ch)
		if ev.Ticket != "T1" || ev.Status != gateway.TicketAwaitingFeedback || ev.PreviousStatus == nil || *ev.PreviousStatus != gateway.TicketSubmitted || len(ev.Messages) != 0 {
			t.Fatalf("status event %+v", ev)
		}
	}
	// A ticket opened later joins the open tickets with its description.
	f.open("T3")
	h.Touch(ownerA)
	ev = next(t, all)
	if ev.Ticket != "T3" || len(ev.Messages) != 1 {
		t.Fatalf("new ticket event %+v", ev)
	}
}

// One poller per owner, however many subscribers; it stops when the last
// one leaves.
func TestOnePollerPerAccount(t *testing.T) {
	f := newFake()
	f.open("T1")
	h := watch.New(f, watch.Options{Interval: tick})
	ctxA, cancelA := context.WithCancel(context.Background())
	for range 5 {
		if _, err := h.Subscribe(ctxA, ownerA, []string{"T1"}); err != nil {
			t.Fatal(err)
		}
	}
	ctxB, cancelB := context.WithCancel(context.Background())
	if _, err := h.Subscribe(ctxB, ownerB, nil); err != nil {
		t.Fatal(err)
	}
	if p, s := h.Stats(); p != 2 || s != 6 {
		t.Fatalf("pollers %d, subscribers %d; want 2 and 6", p, s)
	}
	cancelB()
	waitFor(t, "B's poller to stop", func() bool { p, _ := h.Stats(); return p == 1 })

	start := f.activity.Load()
	time.Sleep(20 * tick)
	polls := f.activity.Load() - start
	if polls < 5 || polls > 22 { // one call a tick for five subscribers
		t.Fatalf("%d activity calls in 20 ticks, want about 20", polls)
	}
	cancelA()
	waitFor(t, "all pollers to stop", func() bool { p, s := h.Stats(); return p == 0 && s == 0 })
	time.Sleep(2 * tick)
	stopped := f.activity.Load()
	time.Sleep(5 * tick)
	if f.activity.Load() != stopped {
		t.Fatal("a poller kept polling after its last subscriber left")
	}
}

func TestLimits(t *testing.T) {
	f := newFake()
	h := watch.New(f, watch.Options{Interval: time.Hour, PerAccount: 2, Total: 3})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range 2 {
		if _, err := h.Subscribe(ctx, ownerA, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.Subscribe(ctx, ownerA, nil); !errors.Is(err, watch.ErrAccountLimit) {
		t.Fatalf("third on one account: %v", err)
	}
	if _, err := h.Subscribe(ctx, ownerB, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Subscribe(ctx, gateway.TicketOwner{Scope: gateway.Scope{Account: "p2"}}, nil); !errors.Is(err, watch.ErrHubFull) {
		t.Fatalf("fourth on the hub: %v", err)
	}
	// Leaving frees the place.
	one, cancelOne := context.WithCancel(context.Background())
	cancel()
	waitFor(t, "the subscribers to leave", func() bool { _, s := h.Stats(); return s == 0 })
	if _, err := h.Subscribe(one, ownerA, nil); err != nil {
		t.Fatal(err)
	}
	cancelOne()
}

// A subscriber that does not keep up is dropped: its channel closes.
func TestSlowSubscriberDropped(t *testing.T) {
	f := newFake()
	f.open("T1")
	h := watch.New(f, watch.Options{Interval: tick, Buffer: 1})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := h.Subscribe(ctx, ownerA, []string{"T1"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the baseline", func() bool { return f.activity.Load() >= 1 })
	f.post("T1", "one")
	waitFor(t, "the first event", func() bool { return len(ch) == 1 })
	f.post("T1", "two")
	waitFor(t, "the drop", func() bool { _, s := h.Stats(); return s == 0 })
	<-ch // the buffered event
	if _, ok := <-ch; ok {
		t.Fatal("channel still open")
	}
}

// A ticket named by a subscriber joining a running poller starts from what
// it holds then: its older messages are not sent as new.
func TestJoinStartsFromNow(t *testing.T) {
	f := newFake()
	f.open("T1")
	f.open("T2")
	h := watch.New(f, watch.Options{Interval: tick})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := h.Subscribe(ctx, ownerA, []string{"T1"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the baseline", func() bool { return f.activity.Load() >= 1 })
	f.post("T2", "before the subscription")
	time.Sleep(3 * tick)
	two, err := h.Subscribe(ctx, ownerA, []string{"T2"})
	if err != nil {
		t.Fatal(err)
	}
	quiet(t, two)
	f.post("T2", "after")
	if ev := next(t, two); len(ev.Messages) != 1 || ev.Messages[0].Content != "after" {
		t.Fatalf("event %+v", ev)
	}
}

// A failed poll is retried; the subscription stays.
func TestPollErrorsRetried(t *testing.T) {
	f := newFake()
	f.open("T1")
	var errs atomic.Int32
	h := watch.New(f, watch.Options{Interval: tick, OnError: func(gateway.TicketOwner, error) { errs.Add(1) }})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := h.Subscribe(ctx, ownerA, []string{"T1"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the baseline", func() bool { return f.activity.Load() >= 1 })
	f.mu.Lock()
	f.fail = true
	f.mu.Unlock()
	waitFor(t, "failures", func() bool { return errs.Load() >= 2 })
	f.post("T1", "while down")
	f.mu.Lock()
	f.fail = false
	f.mu.Unlock()
	if ev := next(t, ch); ev.Messages[0].Content != "while down" {
		t.Fatalf("event %+v", ev)
	}
}
