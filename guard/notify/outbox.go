package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// DefaultOutboxSize is how many messages an Outbox keeps.
const DefaultOutboxSize = 200

// Outbox is the sandbox-mode Sender: it keeps the last messages in memory
// and serves them at GET /dev/outbox, so a developer in GraphiQL (or a test)
// can read the code without a mail or SMS account.
//
// It shows codes to anyone who can reach the handler: mount Handler only in
// sandbox mode, never in production.
type Outbox struct {
	mu   sync.Mutex
	buf  []wire // ring, oldest overwritten first
	next int
	full bool
	now  func() time.Time
}

// NewOutbox returns an Outbox keeping the last size messages
// (DefaultOutboxSize when size <= 0).
func NewOutbox(size int) *Outbox {
	if size <= 0 {
		size = DefaultOutboxSize
	}
	return &Outbox{buf: make([]wire, size), now: time.Now}
}

// Send implements Sender; it never fails.
func (o *Outbox) Send(_ context.Context, m Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf[o.next] = toWire(m, o.now())
	o.next = (o.next + 1) % len(o.buf)
	if o.next == 0 {
		o.full = true
	}
	return nil
}

// OutboxMessage is a delivered message as listed by the outbox.
type OutboxMessage struct {
	Message
	SentAt time.Time
}

// Messages returns the kept messages, newest first, optionally only those
// addressed to to.
func (o *Outbox) Messages(to string) []OutboxMessage {
	ws := o.list(to)
	out := make([]OutboxMessage, len(ws))
	for i, w := range ws {
		out[i] = OutboxMessage{Message: Message{Channel: w.Channel, To: w.To, Subject: w.Subject, Text: w.Text, Operation: w.Operation, Summary: w.Summary}, SentAt: w.SentAt}
	}
	return out
}

func (o *Outbox) list(to string) []wire {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := o.next
	if o.full {
		n = len(o.buf)
	}
	out := make([]wire, 0, n)
	for i := 1; i <= n; i++ {
		w := o.buf[(o.next-i+len(o.buf))%len(o.buf)]
		if to == "" || w.To == to {
			out = append(out, w)
		}
	}
	return out
}

// Handler serves GET {"messages":[...]} newest first; ?to= filters by
// recipient and ?limit= caps the count.
func (o *Outbox) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		msgs := o.list(r.URL.Query().Get("to"))
		if l, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && l >= 0 && l < len(msgs) {
			msgs = msgs[:l]
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(struct {
			Messages []wire `json:"messages"`
		}{msgs})
	})
}
