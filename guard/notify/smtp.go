package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"time"
)

// StartTLSPolicy says what to do when the server offers (or not) STARTTLS.
type StartTLSPolicy int

const (
	// StartTLSOpportunistic upgrades when the server offers STARTTLS. This
	// is the zero value.
	StartTLSOpportunistic StartTLSPolicy = iota
	// StartTLSRequired refuses to send over a connection that could not be
	// upgraded. Use it for any relay reached over a network.
	StartTLSRequired
	// StartTLSNever never upgrades (loopback relays, tests).
	StartTLSNever
)

// SMTP sends EMAIL messages through a mail relay with net/smtp.
//
// Credentials are only ever sent with PLAIN auth, which net/smtp permits
// only over TLS or to localhost, so a misconfigured relay fails instead of
// leaking the password.
type SMTP struct {
	Addr     string // host:port
	From     string // envelope and header sender, e.g. "partnergraph <noreply@example.com>"
	Username string // empty = no AUTH
	Password string
	StartTLS StartTLSPolicy
	// ImplicitTLS dials TLS directly (port 465) instead of STARTTLS.
	ImplicitTLS bool
	// TLSConfig overrides the TLS settings (ServerName defaults to Addr's host).
	TLSConfig *tls.Config
	// Timeout bounds the whole exchange; default 15s.
	Timeout time.Duration
	// HelloName is sent in EHLO; default "localhost".
	HelloName string
	// Now stamps the Date header; default time.Now.
	Now func() time.Time
}

// Send implements Sender.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if m.Channel != Email {
		return fmt.Errorf("%w: smtp cannot send %q", ErrUnsupportedChannel, m.Channel)
	}
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return fmt.Errorf("notify: smtp: bad From: %w", err)
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return fmt.Errorf("notify: smtp: bad recipient: %w", err)
	}
	msg, err := s.compose(from, to, m)
	if err != nil {
		return err
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return fmt.Errorf("notify: smtp: bad Addr: %w", err)
	}
	tlsCfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if s.TLSConfig != nil {
		tlsCfg = s.TLSConfig.Clone()
		if tlsCfg.ServerName == "" {
			tlsCfg.ServerName = host
		}
	}

	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("notify: smtp: dial: %w", err)
	}
	if s.ImplicitTLS {
		tc := tls.Client(conn, tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return fmt.Errorf("notify: smtp: tls: %w", err)
		}
		conn = tc
	}
	// net/smtp has no context support: a deadline on the connection bounds
	// every step, and closing on cancellation unblocks it early.
	dl, _ := ctx.Deadline()
	_ = conn.SetDeadline(dl)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("notify: smtp: greeting: %w", err)
	}
	defer c.Close()
	hello := s.HelloName
	if hello == "" {
		hello = "localhost"
	}
	if err := c.Hello(hello); err != nil {
		return fmt.Errorf("notify: smtp: ehlo: %w", err)
	}
	if !s.ImplicitTLS && s.StartTLS != StartTLSNever {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsCfg); err != nil {
				return fmt.Errorf("notify: smtp: starttls: %w", err)
			}
		} else if s.StartTLS == StartTLSRequired {
			return errors.New("notify: smtp: server does not offer STARTTLS and the policy requires it")
		}
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			return fmt.Errorf("notify: smtp: auth: %w", err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("notify: smtp: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return fmt.Errorf("notify: smtp: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("notify: smtp: DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("notify: smtp: write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("notify: smtp: end of data: %w", err)
	}
	// The relay accepted the message at end of DATA; a failed QUIT does
	// not un-send it.
	_ = c.Quit()
	return nil
}

// compose renders an RFC 5322 message. Header values come from configuration
// and from the verify engine, but CR/LF is refused anyway so no caller can
// inject headers.
func (s *SMTP) compose(from, to *mail.Address, m Message) ([]byte, error) {
	for _, v := range []string{m.Subject, m.Operation, m.Summary} {
		if strings.ContainsAny(v, "\r\n") {
			return nil, errors.New("notify: smtp: header value contains a line break")
		}
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	var id [12]byte
	_, _ = rand.Read(id[:])
	domain := "partnergraph.local"
	if i := strings.LastIndexByte(from.Address, '@'); i >= 0 {
		domain = from.Address[i+1:]
	}
	var b bytes.Buffer
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	hdr("From", from.String())
	hdr("To", to.String())
	hdr("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	hdr("Date", now().Format(time.RFC1123Z))
	hdr("Message-ID", fmt.Sprintf("<%x@%s>", id, domain))
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", `text/plain; charset="utf-8"`)
	hdr("Content-Transfer-Encoding", "quoted-printable")
	hdr("Auto-Submitted", "auto-generated")
	if m.Operation != "" {
		hdr("X-Partnergraph-Operation", mime.QEncoding.Encode("utf-8", m.Operation))
	}
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	body := strings.ReplaceAll(strings.ReplaceAll(m.Text, "\r\n", "\n"), "\n", "\r\n")
	if _, err := qp.Write([]byte(body)); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	b.WriteString("\r\n")
	return b.Bytes(), nil
}
