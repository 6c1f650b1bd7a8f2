package gateway

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"partnergraph/apierr"
)

// fakeLedger is one key's Ledger in memory; claims are shared by the keys
// made with the same claims map.
type fakeLedger struct {
	key      string
	attempts map[string]*Attempt
	claims   map[string]string // record → key
	mu       sync.Mutex
	locked   int
}

func newLedger(key string, claims map[string]string) *fakeLedger {
	return &fakeLedger{key: key, attempts: map[string]*Attempt{}, claims: claims}
}

func (l *fakeLedger) Lock(context.Context, string) (TargetLock, error) {
	l.mu.Lock()
	l.locked++
	l.mu.Unlock()
	return l, nil
}
func (l *fakeLedger) Prior(target string) *Attempt { return l.attempts[target] }
func (l *fakeLedger) Record(_ context.Context, target string, a *Attempt) error {
	if a == nil {
		delete(l.attempts, target)
	} else {
		l.attempts[target] = a
	}
	return nil
}
func (l *fakeLedger) Unclaimed(_ context.Context, ids []string) ([]string, error) {
	var out []string
	for _, id := range ids {
		if k, ok := l.claims[id]; !ok || k == l.key {
			out = append(out, id)
		}
	}
	return out, nil
}
func (l *fakeLedger) Claim(_ context.Context, ids []string) error {
	for _, id := range ids {
		if k, ok := l.claims[id]; ok && k != l.key {
			return errors.New("claimed by " + k)
		}
	}
	for _, id := range ids {
		l.claims[id] = l.key
	}
	return nil
}
func (l *fakeLedger) Unlock() {}

// fakeRecords are a target's records: ids of moves of the kind looked for.
type fakeRecords struct {
	ids   []string
	err   error
	finds int
}

func (f *fakeRecords) spec(do func(context.Context) (Transfer, error)) moveSpec[string, Transfer] {
	find := func(_ context.Context, _ time.Time, exclude map[string]bool) (finding[string], error) {
		f.finds++
		if f.err != nil {
			return finding[string]{}, f.err
		}
		out := finding[string]{matched: slices.Clone(f.ids), byTarget: map[string][]candidate[string]{}}
		for _, id := range f.ids {
			if !exclude[id] {
				out.byTarget["c1"] = append(out.byTarget["c1"], candidate[string]{claim: id, value: id})
			}
		}
		return out, nil
	}
	return moveSpec[string, Transfer]{op: "Move", lock: "funds:customer:c1", targets: []string{"c1"}, find: find, do: do,
		answer: transferTo("c1"), claims: func(t Transfer) []string { return []string{t.ID} }}
}

func TestRunMove(t *testing.T) {
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	c := &Client{cfg: Config{CallTimeout: time.Second, Now: func() time.Time { return now }}}
	ctx := context.Background()
	dropped := &apierr.Error{Code: apierr.CodeUpstreamUnavailable, Message: "x", Err: errors.New("connection reset")}
	timedOut := unavailable("Op", context.DeadlineExceeded)
	refused := &apierr.Error{Code: apierr.CodeUpstreamError, UpstreamCode: "CBC.99005003"}
	ok := func(id string) func(context.Context) (Transfer, error) {
		return func(context.Context) (Transfer, error) { return Transfer{ID: id}, nil }
	}

	t.Run("AnsweredIsClaimed", func(t *testing.T) {
		f, l := &fakeRecords{}, newLedger("k1", map[string]string{})
		v, err := runMove(ctx, c, l, f.spec(ok("T1")))
		if err != nil || v.ID != "T1" || v.Reconciled || l.claims["T1"] != "k1" || l.attempts["funds:customer:c1"] == nil {
			t.Fatalf("%+v %v claims %v", v, err, l.claims)
		}
	})
	t.Run("RefusedClearsTheAttempt", func(t *testing.T) {
		f, l := &fakeRecords{}, newLedger("k1", map[string]string{})
		_, err := runMove(ctx, c, l, f.spec(func(context.Context) (Transfer, error) { return Transfer{}, refused }))
		if !errors.Is(err, refused) || f.finds != 1 || len(l.attempts) != 0 {
			t.Fatalf("%v, %d finds, attempts %v", err, f.finds, l.attempts)
		}
	})
	t.Run("DroppedButApplied", func(t *testing.T) {
		f, l := &fakeRecords{ids: []string{"OLD"}}, newLedger("k1", map[string]string{})
		v, err := runMove(ctx, c, l, f.spec(func(context.Context) (Transfer, error) {
			f.ids = append([]string{"NEW"}, f.ids...)
			return Transfer{}, dropped
		}))
		if err != nil || v.ID != "NEW" || !v.Reconciled || l.claims["NEW"] != "k1" {
			t.Fatalf("%+v %v", v, err)
		}
	})
	t.Run("DroppedNotAppliedIgnoresAnEarlierIdenticalMove", func(t *testing.T) {
		f, l := &fakeRecords{ids: []string{"OLD"}}, newLedger("k1", map[string]string{})
		_, err := runMove(ctx, c, l, f.spec(func(context.Context) (Transfer, error) { return Transfer{}, dropped }))
		if !errors.Is(err, ErrNotApplied) || apierr.ErrorCode(err) != apierr.CodeUpstreamUnavailable || len(l.attempts) != 0 {
			t.Fatalf("%v, attempts %v", err, l.attempts)
		}
	})
	t.Run("TimeoutNotYetVisibleIsUnknownAndKept", func(t *testing.T) {
		f, l := &fakeRecords{}, newLedger("k1", map[string]string{})
		_, err := runMove(ctx, c, l, f.spec(func(context.Context) (Transfer, error) { return Transfer{}, timedOut }))
		a := l.attempts["funds:customer:c1"]
		if !errors.Is(err, ErrOutcomeUnknown) || apierr.ErrorCode(err) != apierr.CodeOutcomeUnknown || a == nil || !a.Deadline.Equal(now.Add(time.Second+deadlineSlack)) {
			t.Fatalf("%v, attempt %+v", err, a)
		}
	})
	t.Run("RecordsUnreadableIsUnknown", func(t *testing.T) {
		f, l := &fakeRecords{}, newLedger("k1", map[string]string{})
		_, err := runMove(ctx, c, l, f.spec(func(context.Context) (Transfer, error) {
			f.err = errors.New("records down")
			return Transfer{}, dropped
		}))
		if !errors.Is(err, ErrOutcomeUnknown) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("SnapshotFailsNothingCalled", func(t *testing.T) {
		f, l := &fakeRecords{err: dropped}, newLedger("k1", map[string]string{})
		called := false
		_, err := runMove(ctx, c, l, f.spec(func(context.Context) (Transfer, error) { called = true; return Transfer{}, nil }))
		if err == nil || called || len(l.attempts) != 0 {
			t.Fatalf("%v, called=%v", err, called)
		}
	})
	t.Run("TwoNewRecordsAreTwoCandidates", func(t *testing.T) {
		f, l := &fakeRecords{ids: []string{"OLD"}}, newLedger("k1", map[string]string{})
		_, err := runMove(ctx, c, l, f.spec(func(context.Context) (Transfer, error) {
			f.ids = append([]string{"MINE", "THEIRS"}, f.ids...) // someone moved the same amount meanwhile
			return Transfer{}, dropped
		}))
		var e *apierr.Error
		if !errors.As(err, &e) || e.Code != apierr.CodeOutcomeUnknown || strings.Join(e.Candidates, ",") != "MINE,THEIRS" || len(l.claims) != 0 {
			t.Fatalf("%v %+v", err, e)
		}
	})
	t.Run("ARecordClaimedByAnotherKeyIsNotTaken", func(t *testing.T) {
		claims := map[string]string{"OTHERS": "k0"}
		f, l := &fakeRecords{}, newLedger("k1", claims)
		_, err := runMove(ctx, c, l, f.spec(func(context.Context) (Transfer, error) {
			f.ids = []string{"OTHERS"} // a record another key already answered for
			return Transfer{}, dropped
		}))
		if !errors.Is(err, ErrNotApplied) || claims["OTHERS"] != "k0" {
			t.Fatalf("%v claims %v", err, claims)
		}
	})

	// A key taken over from a holder that died settles the holder's call
	// before calling: found, it is the answer (and no call is made).
	t.Run("PriorAttemptFound", func(t *testing.T) {
		f, l := &fakeRecords{ids: []string{"NEW", "OLD"}}, newLedger("k1", map[string]string{})
		l.attempts["funds:customer:c1"] = &Attempt{Since: now.Add(-time.Minute), Seen: []string{"OLD"}, Deadline: now.Add(-time.Second)}
		called := false
		v, err := runMove(ctx, c, l, f.spec(func(context.Context) (Transfer, error) { called = true; return Transfer{}, nil }))
		if err != nil || called || v.ID != "NEW" || !v.Reconciled || l.claims["NEW"] != "k1" {
			t.Fatalf("%+v %v called=%v", v, err, called)
		}
	})
	t.Run("PriorAttemptNotAppliedCallsAgain", func(t *testing.T) {
		f, l := &fakeRecords{ids: []string{"OLD"}}, newLedger("k1", map[string]string{})
		l.attempts["funds:customer:c1"] = &Attempt{Since: now.Add(-time.Minute), Seen: []string{"OLD"}, Deadline: now.Add(-time.Second)}
		v, err := runMove(ctx, c, l, f.spec(ok("T2")))
		if err != nil || v.ID != "T2" || v.Reconciled {
			t.Fatalf("%+v %v", v, err)
		}
	})
	t.Run("PriorAttemptStillRunningIsInProgress", func(t *testing.T) {
		f, l := &fakeRecords{}, newLedger("k1", map[string]string{})
		l.attempts["funds:customer:c1"] = &Attempt{Since: now, Deadline: now.Add(3 * time.Second)}
		_, err := runMove(ctx, c, l, f.spec(ok("T3")))
		var e *apierr.Error
		if !errors.As(err, &e) || e.Code != apierr.CodeIdempotencyInProgress || e.RetryAfter != 3 || f.finds != 0 {
			t.Fatalf("%v %+v", err, e)
		}
	})
	t.Run("NoLedgerIsInternal", func(t *testing.T) {
		_, err := runMove(ctx, c, nil, (&fakeRecords{}).spec(ok("T")))
		if apierr.ErrorCode(err) != apierr.CodeInternal {
			t.Fatalf("%v", err)
		}
	})
}

// lookFor puts every matching record in the snapshot and, per target, the
// matching records not excluded among the candidates; a batch answer marks
// the targets without a record not applied.
func TestLookFor(t *testing.T) {
	type rec struct {
		id, target string
		match      bool
	}
	recs := []rec{{"r1", "a", true}, {"r2", "a", true}, {"r3", "b", false}, {"r4", "b", true}, {"r5", "c", true}}
	find := lookFor(func(context.Context, time.Time, int32) ([]rec, int, error) { return recs, len(recs), nil }, func(r rec, _ time.Time) record[string] {
		return record[string]{id: r.id, claim: "claim-" + r.id, target: r.target, value: "new-" + r.id, match: r.match}
	})
	f, err := find(context.Background(), time.Time{}, map[string]bool{"r1": true, "r5": true})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(f.matched, ","), "r1,r2,r4,r5"; got != want {
		t.Errorf("matched %s, want %s", got, want)
	}
	if len(f.byTarget) != 2 || len(f.byTarget["a"]) != 1 || f.byTarget["a"][0] != (candidate[string]{"claim-r2", "new-r2"}) || f.byTarget["b"][0].value != "new-r4" {
		t.Errorf("byTarget %v", f.byTarget)
	}
	out := reconciled([]string{"a", "c"}, created(map[string]string{"a": "new-r2"}))
	if !out.Reconciled || len(out.Items) != 2 || !out.Items[0].OK || out.Items[0].CreatedID != "new-r2" || out.Items[1].OK || out.Items[1].ErrorCode != "NOT_APPLIED" {
		t.Errorf("reconciled = %+v", out)
	}
}

// A move's record may follow a hundred others of its kind before its key
// is retried: the search reads every page, counts a record the list
// shifted onto two pages once, and gives up (the outcome stays unknown)
// rather than read without end.
func TestLookForReadsEveryPage(t *testing.T) {
	type rec struct{ id string }
	var recs []rec
	for i := range 250 {
		recs = append(recs, rec{id: "r" + strconv.Itoa(i)})
	}
	var offsets []int32
	page := func(_ context.Context, _ time.Time, offset int32) ([]rec, int, error) {
		offsets = append(offsets, offset)
		list := recs
		if offset > 0 {
			// A new record arrived at the front after the first page.
			list = append([]rec{{id: "new"}}, recs...)
		}
		return list[offset:min(int(offset)+searchLimit, len(list))], len(list), nil
	}
	find := lookFor(page, func(r rec, _ time.Time) record[string] {
		return record[string]{id: r.id, target: "q", value: r.id, match: r.id == "r249" || r.id == "r99"}
	})
	f, err := find(context.Background(), time.Time{}, map[string]bool{"r99": true})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(offsets); got != "[0 100 200]" {
		t.Errorf("offsets %s", got)
	}
	if got := strings.Join(f.matched, ","); got != "r99,r249" {
		t.Errorf("matched %s, want r99 once and r249", got)
	}
	if c := f.byTarget["q"]; len(c) != 1 || c[0].value != "r249" {
		t.Errorf("candidates %v, want r249 from the third page", c)
	}

	offsets = nil
	recs = recs[:200]
	page2 := func(_ context.Context, _ time.Time, offset int32) ([]rec, int, error) {
		offsets = append(offsets, offset)
		return recs[offset : int(offset)+searchLimit], len(recs), nil
	}
	find = lookFor(page2, func(r rec, _ time.Time) record[string] {
		return record[string]{id: r.id, target: "q", value: r.id, match: r.id == "r150"}
	})
	if f, err = find(context.Background(), time.Time{}, nil); err != nil || len(f.byTarget["q"]) != 1 || f.byTarget["q"][0].value != "r150" {
		t.Fatalf("record on the second page: %+v %v", f, err)
	}
	if got := fmt.Sprint(offsets); got != "[0 100]" {
		t.Errorf("offsets %s: a full last page that reaches the total ends the search", got)
	}

	endless := func(_ context.Context, _ time.Time, offset int32) ([]rec, int, error) {
		return recs[:searchLimit], 1 << 30, nil
	}
	find = lookFor(endless, func(r rec, _ time.Time) record[string] { return record[string]{id: r.id, match: true} })
	if _, err := find(context.Background(), time.Time{}, nil); !errors.Is(err, errTooManyRecords) {
		t.Fatalf("endless list: %v", err)
	}
}
