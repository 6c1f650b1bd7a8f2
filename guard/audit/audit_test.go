package audit

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAppendReadNewestFirstWithPaging(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := 0; i < 25; i++ {
		partner := "p1"
		if i%2 == 1 {
			partner = "p2"
		}
		err := l.Append(Entry{Time: base.Add(time.Duration(i) * time.Second), PartnerID: partner, PrincipalSubject: "u", Operation: fmt.Sprintf("op%02d", i), Event: EventMutationApplied, Outcome: "ok"})
		if err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		es, next, err := l.Read("p1", 5, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if e.PartnerID != "p1" {
				t.Fatalf("foreign entry %+v", e)
			}
			got = append(got, e.Operation)
		}
		if next == "" {
			if pages != 2 {
				t.Fatalf("expected 3 pages, got %d", pages+1)
			}
			break
		}
		cursor = next
	}
	want := []string{"op24", "op22", "op20", "op18", "op16", "op14", "op12", "op10", "op08", "op06", "op04", "op02", "op00"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	if es, _, _ := l.Read("nobody", 10, ""); len(es) != 0 {
		t.Fatalf("unexpected entries for unknown partner: %v", es)
	}
	if _, _, err := l.Read("p1", 10, "garbage"); err == nil {
		t.Fatal("invalid cursor accepted")
	}
}

func TestFileModeAndPersistenceAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append(Entry{PartnerID: "p", Event: EventChallengeRequested}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if err := l.Append(Entry{PartnerID: "p", Event: EventChallengeRequested}); err != ErrClosed {
		t.Fatalf("append after close: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
	l2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	if err := l2.Append(Entry{PartnerID: "p", Event: EventChallengeVerified}); err != nil {
		t.Fatal(err)
	}
	es, _, err := l2.Read("p", 10, "")
	if err != nil || len(es) != 2 || es[0].Event != EventChallengeVerified || es[1].Time.IsZero() {
		t.Fatalf("entries %+v err %v", es, err)
	}
}

func TestConcurrentAppendsAreWholeLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				if err := l.Append(Entry{PartnerID: "p", Event: EventMutationApplied, Operation: strings.Repeat("x", 200)}); err != nil {
					t.Error(err)
				}
				_, _, _ = l.Read("p", 3, "")
			}
		}()
	}
	wg.Wait()
	es, _, err := l.Read("p", MaxReadLimit, "")
	if err != nil || len(es) != 160 {
		t.Fatalf("read %d entries, err %v", len(es), err)
	}
}

// TestReadSpansBlocks makes lines straddle the 64 KiB read blocks.
func TestReadSpansBlocks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	const n = 700
	for i := 0; i < n; i++ {
		if err := l.Append(Entry{PartnerID: "p", Event: EventMutationApplied, Operation: fmt.Sprintf("%04d-%s", i, strings.Repeat("y", 333))}); err != nil {
			t.Fatal(err)
		}
	}
	seen, cursor := 0, ""
	for {
		es, next, err := l.Read("p", 100, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if want := fmt.Sprintf("%04d-", n-1-seen); !strings.HasPrefix(e.Operation, want) {
				t.Fatalf("entry %d: got %q want prefix %q", seen, e.Operation[:5], want)
			}
			seen++
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if seen != n {
		t.Fatalf("saw %d entries, want %d", seen, n)
	}
}

// TestNoSecretsInFile: the entry type has no field able to carry a code or
// token, and the Cursor field is never written.
func TestNoSecretsInFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	const code, token = "493817", "eyJhbGciOiJIUzI1NiJ9.secret-token"
	if err := l.Append(Entry{PartnerID: "p", PrincipalSubject: "alice", Event: EventChallengeVerified, ChallengeID: "c1", Cursor: token + code}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(code)) || bytes.Contains(b, []byte(token)) {
		t.Fatalf("secret leaked into audit file: %s", b)
	}
}

func TestNewDisabledAndDefault(t *testing.T) {
	s, err := New(Config{Disabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Append(Entry{Event: "x"}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "a.jsonl")
	s2, err := New(Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if err := s2.Append(Entry{PartnerID: "p", Event: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}
