// Package notify delivers verification codes to people. The verify engine
// builds a Message and hands it to a Sender; which Sender runs depends on the
// deployment:
//
//   - EMAIL in production: SMTP, to the partner's mail relay.
//   - SMS in production: Webhook, pointed at the partner's SMS provider (or a
//     small bridge in front of it). Huawei's AK/SK APIs offer no SMS sending,
//     so partnergraph does not talk to an SMS network itself.
//   - Sandbox mode: Outbox, served at GET /dev/outbox so GraphiQL users and
//     end-to-end tests can read the code and finish the flow.
//
// Router picks a Sender per channel; Multi fans out (e.g. to Outbox and SMTP
// while testing a relay).
//
// The code travels only in Message.Text. Message implements fmt.Formatter and
// slog.LogValuer so that printing or logging a Message never shows Text.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Channel is how a code reaches a person.
type Channel string

// Channels offered by requestVerificationCode.
const (
	SMS   Channel = "SMS"
	Email Channel = "EMAIL"
)

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool { return c == SMS || c == Email }

// Message is one verification message. Operation and Summary say what the
// code approves (operation, amount, target) so the recipient can refuse a
// code they did not ask for; the code itself is only inside Text.
type Message struct {
	Channel   Channel
	To        string
	Subject   string
	Text      string
	Operation string
	Summary   string
}

// Sender delivers a Message. Implementations must not log Text.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// ErrUnsupportedChannel is returned by a Sender asked to deliver on a channel
// it does not serve.
var ErrUnsupportedChannel = errors.New("notify: channel not supported by this sender")

// Format prints the message without its Text, whatever the verb.
func (m Message) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "notify.Message{Channel:%s To:%s Subject:%q Operation:%s Summary:%q Text:[redacted]}",
		m.Channel, m.To, m.Subject, m.Operation, m.Summary)
}

// LogValue keeps Text out of structured logs.
func (m Message) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("channel", string(m.Channel)),
		slog.String("to", m.To),
		slog.String("subject", m.Subject),
		slog.String("operation", m.Operation),
		slog.String("summary", m.Summary),
	)
}

// Router sends each message through the Sender configured for its channel.
type Router struct {
	SMS   Sender
	Email Sender
}

// Send implements Sender.
func (r Router) Send(ctx context.Context, m Message) error {
	var s Sender
	switch m.Channel {
	case SMS:
		s = r.SMS
	case Email:
		s = r.Email
	}
	if s == nil {
		return fmt.Errorf("%w: %q", ErrUnsupportedChannel, m.Channel)
	}
	return s.Send(ctx, m)
}

// Multi sends every message through all its Senders and fails if any fails.
type Multi []Sender

// Send implements Sender.
func (ms Multi) Send(ctx context.Context, m Message) error {
	var errs []error
	for _, s := range ms {
		if err := s.Send(ctx, m); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// wire is the JSON shape shared by Webhook bodies and the Outbox listing.
type wire struct {
	Channel   Channel   `json:"channel"`
	To        string    `json:"to"`
	Subject   string    `json:"subject"`
	Text      string    `json:"text"`
	Operation string    `json:"operation"`
	Summary   string    `json:"summary"`
	SentAt    time.Time `json:"sent_at"`
}

func toWire(m Message, at time.Time) wire {
	return wire{Channel: m.Channel, To: m.To, Subject: m.Subject, Text: m.Text, Operation: m.Operation, Summary: m.Summary, SentAt: at.UTC()}
}
