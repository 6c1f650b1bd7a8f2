package expiring

import (
	"math/rand"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)

func TestExpiredEntriesDropOnPut(t *testing.T) {
	m := New[string, int](10)
	m.Put("a", 1, t0.Add(time.Minute), t0)
	m.Put("b", 2, t0.Add(time.Hour), t0)
	if v, exp, ok := m.Get("a"); !ok || v != 1 || !exp.Equal(t0.Add(time.Minute)) {
		t.Fatalf("Get(a) = %v %v %v", v, exp, ok)
	}
	if n := m.Put("c", 3, t0.Add(2*time.Hour), t0.Add(time.Minute)); n != 1 {
		t.Fatalf("dropped %d, want 1 (a expired)", n)
	}
	if _, _, ok := m.Get("a"); ok || m.Len() != 2 {
		t.Fatalf("a still there, len %d", m.Len())
	}
	if n := m.Sweep(t0.Add(3 * time.Hour)); n != 2 || m.Len() != 0 {
		t.Fatalf("sweep dropped %d, len %d", n, m.Len())
	}
	// An entry put already expired stays until the next Put or Sweep.
	m.Put("old", 1, t0, t0.Add(time.Hour))
	if _, _, ok := m.Get("old"); !ok {
		t.Fatal("the entry just put was dropped")
	}
	m.Put("new", 2, t0.Add(5*time.Hour), t0.Add(time.Hour))
	if _, _, ok := m.Get("old"); ok || m.Len() != 1 {
		t.Fatalf("the expired entry survived the next Put; len %d", m.Len())
	}
}

func TestCapEvictsSoonestExpiring(t *testing.T) {
	m := New[int, int](3)
	for i, mins := range []int{30, 10, 20} {
		m.Put(i, i, t0.Add(time.Duration(mins)*time.Minute), t0)
	}
	m.Put(3, 3, t0.Add(40*time.Minute), t0) // evicts 1 (10 min)
	if _, _, ok := m.Get(1); ok || m.Len() != 3 {
		t.Fatalf("entry 1 should be evicted; len %d", m.Len())
	}
	m.Put(0, 0, t0.Add(5*time.Minute), t0) // replace: shortens 0, no eviction
	if m.Len() != 3 {
		t.Fatalf("len %d after replace", m.Len())
	}
	m.Put(4, 4, t0.Add(50*time.Minute), t0) // evicts 0 (now 5 min)
	if _, _, ok := m.Get(0); ok {
		t.Fatal("entry 0 should be evicted")
	}
	if !m.Delete(2) || m.Delete(2) || m.Len() != 2 {
		t.Fatalf("delete: len %d", m.Len())
	}
	if New[int, int](0).Max() != DefaultMax {
		t.Fatal("default max")
	}
}

// TestAgainstModel runs random operations against a plain map.
func TestAgainstModel(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	const max = 50
	m := New[int, int](max)
	model := map[int]time.Time{}
	now := t0
	for step := 0; step < 20000; step++ {
		k := r.Intn(200)
		switch r.Intn(10) {
		case 0:
			if m.Delete(k) != (func() bool { _, ok := model[k]; delete(model, k); return ok })() {
				t.Fatalf("step %d: delete mismatch", step)
			}
		case 1:
			now = now.Add(time.Duration(r.Intn(60)) * time.Second)
		default:
			exp := now.Add(time.Duration(r.Intn(3600)-60) * time.Second)
			m.Put(k, k, exp, now)
			for mk, e := range model {
				if !now.Before(e) {
					delete(model, mk)
				}
			}
			model[k] = exp
			for len(model) > max { // drop the soonest (ties: whatever the map dropped)
				var sk int
				var se time.Time
				first := true
				for mk, e := range model {
					if first || e.Before(se) {
						sk, se, first = mk, e, false
					}
				}
				if _, _, ok := m.Get(sk); ok {
					// a tie: the map dropped another entry with the same expiry
					for mk, e := range model {
						if e.Equal(se) {
							if _, _, ok := m.Get(mk); !ok {
								sk = mk
								break
							}
						}
					}
				}
				delete(model, sk)
			}
		}
		if m.Len() != len(model) || m.Len() > max {
			t.Fatalf("step %d: len %d, model %d", step, m.Len(), len(model))
		}
		for mk, e := range model {
			if _, exp, ok := m.Get(mk); !ok || !exp.Equal(e) {
				t.Fatalf("step %d: key %d: %v %v, model %v", step, mk, exp, ok, e)
			}
		}
	}
}
