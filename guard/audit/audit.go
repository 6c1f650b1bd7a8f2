// Package audit keeps the append-only record of sensitive activity: every
// verification challenge event and every money/voucher mutation. It exists so
// that a partner (and Huawei, and we) can later prove who approved what, with
// which arguments, and what the upstream answered.
//
// The log is a JSON-lines file. Each entry is written with a single write(2)
// on an O_APPEND descriptor and fsync'd before Append returns, so an entry
// the gateway acted upon survives a crash. Entries deliberately have no free
// text field: codes, tokens, passwords and keys have nowhere to go.
package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"
)

// Event names. They are part of the audit file format: add new ones, never
// rename existing ones.
const (
	EventChallengeRequested   = "challenge.requested"
	EventChallengeRateLimited = "challenge.rate_limited"
	EventChallengeDelivery    = "challenge.delivery_failed"
	EventChallengeVerified    = "challenge.verified"
	EventChallengeFailed      = "challenge.failed"
	EventMutationApplied      = "mutation.applied"
	EventMutationFailed       = "mutation.failed"
	EventMutationReplayed     = "mutation.replayed"
	EventMutationConflict     = "mutation.conflict"
	EventMutationReconciled   = "mutation.reconciled"
	EventSettingChanged       = "setting.changed"
)

// DefaultPath is where the gateway writes its audit log unless configured.
const DefaultPath = "partnergraph-audit.jsonl"

// Entry is one audit record. ArgsDigest (see verify.Digest) stands in for
// the arguments so the log proves what was approved without copying
// customer data; Outcome is a short machine word ("ok", "VERIFICATION_FAILED",
// "UPSTREAM_TIMEOUT", ...), never a message that could echo input.
type Entry struct {
	Time              time.Time `json:"time"`
	PrincipalSubject  string    `json:"principal"`
	PartnerID         string    `json:"partner_id"`
	Role              string    `json:"role,omitempty"`
	Operation         string    `json:"operation"`
	ArgsDigest        string    `json:"args_digest,omitempty"`
	Event             string    `json:"event"`
	Outcome           string    `json:"outcome,omitempty"`
	UpstreamRequestID string    `json:"upstream_request_id,omitempty"` // the upstream's X-Request-Id(s), comma-separated when several calls made the move
	ChallengeID       string    `json:"challenge_id,omitempty"`
	Channel           string    `json:"channel,omitempty"`
	IdempotencyKey    string    `json:"idempotency_key,omitempty"`

	// Cursor locates the entry in the log; Read fills it so callers can
	// page with "before". It is not stored.
	Cursor string `json:"-"`
}

// Sink is what producers of audit events depend on, so tests and disabled
// deployments can pass Nop.
type Sink interface {
	Append(Entry) error
}

// Reader is the query side, for the partner-facing audit query.
type Reader interface {
	// Read returns up to limit entries of partnerID, newest first, older
	// than the cursor before ("" = from the newest). next is the cursor for
	// the following page, "" when there is none.
	Read(partnerID string, limit int, before string) (entries []Entry, next string, err error)
}

// Nop discards entries and reads nothing; it is the "audit disabled" mode.
type Nop struct{}

// Append discards e.
func (Nop) Append(Entry) error { return nil }

// Read returns nothing.
func (Nop) Read(string, int, string) ([]Entry, string, error) { return nil, "", nil }

// Config selects the audit mode. The zero value means "on, at DefaultPath".
type Config struct {
	Disabled bool
	Path     string
}

// Store is the audit log as the gateway holds it: written by the verify
// engine and the money resolvers, read by the partner-facing query, closed
// on shutdown.
type Store interface {
	Sink
	Reader
	io.Closer
}

// New opens the log described by cfg, or returns a Nop store when disabled.
func New(cfg Config) (Store, error) {
	if cfg.Disabled {
		return nopCloser{}, nil
	}
	p := cfg.Path
	if p == "" {
		p = DefaultPath
	}
	return Open(p)
}

type nopCloser struct{ Nop }

func (nopCloser) Close() error { return nil }

// Log is a file-backed audit log, safe for concurrent use. Several gateway
// instances must not share one file: give each instance its own path.
type Log struct {
	mu   sync.Mutex
	f    *os.File
	path string
	now  func() time.Time
}

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("audit: log closed")

// Open opens (creating with mode 0600) the audit log at path for appending.
func Open(path string) (*Log, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: open %s: %w", path, err)
	}
	return &Log{f: f, path: path, now: time.Now}, nil
}

// Path reports the file the log writes to.
func (l *Log) Path() string { return l.path }

// Append writes e as one line and fsyncs it. A zero Time is set to now. An
// error means the entry may not be durable; callers guarding a sensitive
// action should fail closed.
func (l *Log) Append(e Entry) error {
	if e.Event == "" {
		return errors.New("audit: entry without event")
	}
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	e.Time = e.Time.UTC()
	e.Cursor = ""
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit: encode: %w", err)
	}
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return ErrClosed
	}
	if _, err := l.f.Write(line); err != nil {
		return fmt.Errorf("audit: write: %w", err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("audit: fsync: %w", err)
	}
	return nil
}

// Close flushes and closes the file.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// MaxReadLimit caps one page so a query cannot make the gateway scan and
// return the whole file at once.
const MaxReadLimit = 500

// Read implements Reader by scanning the file backwards, so recent pages are
// cheap however long the log grows. The cursor is the byte offset at which
// an entry starts; it is opaque to callers.
func (l *Log) Read(partnerID string, limit int, before string) ([]Entry, string, error) {
	if limit <= 0 {
		limit = 50
	}
	if limit > MaxReadLimit {
		limit = MaxReadLimit
	}
	l.mu.Lock()
	if l.f == nil {
		l.mu.Unlock()
		return nil, "", ErrClosed
	}
	// Appends happen under mu in whole lines, so the size seen here ends on
	// a line boundary.
	fi, err := l.f.Stat()
	l.mu.Unlock()
	if err != nil {
		return nil, "", fmt.Errorf("audit: stat: %w", err)
	}
	end := fi.Size()
	if before != "" {
		off, err := strconv.ParseInt(before, 10, 64)
		if err != nil || off < 0 || off > end {
			return nil, "", fmt.Errorf("audit: invalid cursor %q", before)
		}
		end = off
	}
	r, err := os.Open(l.path)
	if err != nil {
		return nil, "", fmt.Errorf("audit: open for read: %w", err)
	}
	defer r.Close()

	var out []Entry
	next := ""
	err = scanBackwards(r, end, func(start int64, line []byte) bool {
		var e Entry
		if json.Unmarshal(line, &e) != nil || e.PartnerID != partnerID {
			return true
		}
		if len(out) == limit {
			// One more match exists: the page is full and a next page exists.
			next = out[len(out)-1].Cursor
			return false
		}
		e.Cursor = strconv.FormatInt(start, 10)
		out = append(out, e)
		return true
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// scanBackwards calls fn for each non-empty line of r[0:end], last line
// first, with the offset at which the line starts, until fn returns false.
func scanBackwards(r io.ReaderAt, end int64, fn func(start int64, line []byte) bool) error {
	const block = 64 << 10
	var carry []byte // bytes of a line whose start we have not reached yet
	pos := end
	for pos > 0 {
		n := int64(block)
		if pos < n {
			n = pos
		}
		pos -= n
		buf := make([]byte, n, n+int64(len(carry)))
		if _, err := r.ReadAt(buf, pos); err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("audit: read: %w", err)
		}
		buf = append(buf, carry...)
		// Emit every line that starts inside buf after a newline.
		for {
			i := bytes.LastIndexByte(bytes.TrimRight(buf, "\n"), '\n')
			if i < 0 {
				break
			}
			line := bytes.TrimRight(buf[i+1:], "\n")
			if len(line) > 0 && !fn(pos+int64(i)+1, line) {
				return nil
			}
			buf = buf[:i+1]
		}
		carry = buf
	}
	if line := bytes.TrimRight(carry, "\n"); len(line) > 0 {
		fn(0, line)
	}
	return nil
}
