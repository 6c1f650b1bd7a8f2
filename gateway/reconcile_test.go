package gateway

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"partnergraph/apierr"
)

// fakeRecords is a finder over a mutable list of record ids.
type fakeRecords struct {
	ids   []string
	err   error
	calls int
}

func (f *fakeRecords) find(_ context.Context, _ time.Time, exclude map[string]bool) (Transfer, bool, []string, error) {
	f.calls++
	if f.err != nil {
		return Transfer{}, false, nil, f.err
	}
	for _, id := range f.ids {
		if !exclude[id] {
			return Transfer{ID: id, Reconciled: true}, true, f.ids, nil
		}
	}
	return Transfer{}, false, f.ids, nil
}

func TestMoveOnce(t *testing.T) {
	c := &Client{cfg: Config{CallTimeout: time.Second}}
	ctx := context.Background()
	dropped := &apierr.Error{Code: apierr.CodeUpstreamUnavailable, Message: "x", Err: errors.New("connection reset")}
	timedOut := unavailable("Op", context.DeadlineExceeded)
	refused := &apierr.Error{Code: apierr.CodeUpstreamError, UpstreamCode: "CBC.99005003"}

	t.Run("Success", func(t *testing.T) {
		f := &fakeRecords{}
		v, err := moveOnce(ctx, c, MoveOpts{}, f.find, func(context.Context) (Transfer, error) { return Transfer{ID: "T1"}, nil })
		if err != nil || v.ID != "T1" || v.Reconciled {
			t.Fatalf("%+v %v", v, err)
		}
	})
	t.Run("RefusalIsNotReconciled", func(t *testing.T) {
		f := &fakeRecords{}
		_, err := moveOnce(ctx, c, MoveOpts{}, f.find, func(context.Context) (Transfer, error) { return Transfer{}, refused })
		if !errors.Is(err, refused) || f.calls != 1 {
			t.Fatalf("%v, %d finds", err, f.calls)
		}
	})
	t.Run("DroppedButApplied", func(t *testing.T) {
		f := &fakeRecords{ids: []string{"OLD"}}
		v, err := moveOnce(ctx, c, MoveOpts{}, f.find, func(context.Context) (Transfer, error) {
			f.ids = append([]string{"NEW"}, f.ids...)
			return Transfer{}, dropped
		})
		if err != nil || v.ID != "NEW" || !v.Reconciled {
			t.Fatalf("%+v %v", v, err)
		}
	})
	t.Run("DroppedNotAppliedIgnoresOlderIdenticalMove", func(t *testing.T) {
		f := &fakeRecords{ids: []string{"OLD"}}
		_, err := moveOnce(ctx, c, MoveOpts{}, f.find, func(context.Context) (Transfer, error) { return Transfer{}, dropped })
		if !errors.Is(err, ErrNotApplied) || apierr.ErrorCode(err) != apierr.CodeUpstreamUnavailable {
			t.Fatalf("%v", err)
		}
	})
	t.Run("TimeoutNotYetVisibleIsUnknown", func(t *testing.T) {
		f := &fakeRecords{}
		_, err := moveOnce(ctx, c, MoveOpts{}, f.find, func(context.Context) (Transfer, error) { return Transfer{}, timedOut })
		if !errors.Is(err, ErrOutcomeUnknown) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("RecordsUnreadableIsUnknown", func(t *testing.T) {
		f := &fakeRecords{}
		_, err := moveOnce(ctx, c, MoveOpts{}, f.find, func(context.Context) (Transfer, error) {
			f.err = errors.New("records down")
			return Transfer{}, dropped
		})
		if !errors.Is(err, ErrOutcomeUnknown) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("SnapshotFailsNothingCalled", func(t *testing.T) {
		f := &fakeRecords{err: dropped}
		called := false
		_, err := moveOnce(ctx, c, MoveOpts{}, f.find, func(context.Context) (Transfer, error) { called = true; return Transfer{}, nil })
		if err == nil || called {
			t.Fatalf("%v, called=%v", err, called)
		}
	})
	t.Run("CheckFirstFound", func(t *testing.T) {
		f := &fakeRecords{ids: []string{"EARLIER"}}
		called := false
		v, err := moveOnce(ctx, c, MoveOpts{CheckFirst: true}, f.find, func(context.Context) (Transfer, error) { called = true; return Transfer{}, nil })
		if err != nil || called || v.ID != "EARLIER" {
			t.Fatalf("%+v %v called=%v", v, err, called)
		}
	})
}

// Every matching record is in the snapshot; per target, the first matching
// record not excluded is the move; a batch answer marks the rest not
// applied.
func TestFirstNew(t *testing.T) {
	type rec struct {
		id, target string
		match      bool
	}
	recs := []rec{{"r1", "a", true}, {"r2", "a", true}, {"r3", "b", false}, {"r4", "b", true}, {"r5", "c", true}}
	first, matched := firstNew(recs, map[string]bool{"r1": true, "r5": true}, func(r rec) record[string] {
		return record[string]{id: r.id, target: r.target, value: "new-" + r.id, match: r.match}
	})
	if got, want := strings.Join(matched, ","), "r1,r2,r4,r5"; got != want {
		t.Errorf("matched %s, want %s", got, want)
	}
	if len(first) != 2 || first["a"] != "new-r2" || first["b"] != "new-r4" {
		t.Errorf("first %v, want a: new-r2, b: new-r4", first)
	}
	if tr, ok := transferTo("a")(first); !ok || tr != (Transfer{ID: "new-r2", Reconciled: true}) {
		t.Errorf("transferTo(a) = %+v, %v", tr, ok)
	}
	if _, ok := transferTo("c")(first); ok {
		t.Error("transferTo(c): an excluded record was taken for the move")
	}
	out, found := reconciled([]string{"a", "c"}, created(first))
	if !found || !out.Reconciled || len(out.Items) != 2 || !out.Items[0].OK || out.Items[0].CreatedID != "new-r2" || out.Items[1].OK || out.Items[1].ErrorCode != "NOT_APPLIED" {
		t.Errorf("reconciled = %+v, %v", out, found)
	}
	if _, found := reconciled([]string{"c"}, created(first)); found {
		t.Error("reconciled(c): found with no record")
	}
}
