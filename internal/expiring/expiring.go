// Package expiring is a size-bounded map whose entries expire: the
// customer-token cache and the gateway's per-customer SDK clients keep one
// entry per customer, and a long-running gateway serving many customers must
// not grow without bound.
//
// Entries sit in a min-heap ordered by expiry, so dropping the expired ones
// and evicting the soonest-expiring one when the map is full are both
// O(log n) per entry. Expired entries are dropped lazily, whenever an entry
// is put (and by Sweep): a map that receives no new entries does not grow
// either, so no background goroutine is needed.
package expiring

import (
	"container/heap"
	"time"
)

// DefaultMax is the size bound used when New is given max <= 0.
const DefaultMax = 10000

// Map maps keys to values that expire. It is not safe for concurrent use:
// callers hold their own lock.
type Map[K comparable, V any] struct {
	max   int
	items map[K]*item[K, V]
	h     byExpiry[K, V]
}

type item[K comparable, V any] struct {
	key K
	val V
	exp time.Time
	idx int // position in the heap
}

// New returns an empty map holding at most max entries (DefaultMax when
// max <= 0).
func New[K comparable, V any](max int) *Map[K, V] {
	if max <= 0 {
		max = DefaultMax
	}
	return &Map[K, V]{max: max, items: map[K]*item[K, V]{}}
}

// Len is the number of entries, expired ones not yet swept included.
func (m *Map[K, V]) Len() int { return len(m.items) }

// Max is the size bound.
func (m *Map[K, V]) Max() int { return m.max }

// Get returns the entry of k and its expiry, whether or not it has expired
// (callers compare the expiry with their clock).
func (m *Map[K, V]) Get(k K) (v V, exp time.Time, ok bool) {
	it, ok := m.items[k]
	if !ok {
		return v, time.Time{}, false
	}
	return it.val, it.exp, true
}

// Put drops the entries expired at now (exp <= now), sets k to v until exp
// and then, while the map holds more than its bound, drops the
// soonest-expiring entries. It returns how many entries it dropped. The
// entry just put is kept even if exp <= now (the caller decided to store
// it; the next Put or Sweep drops it), unless the bound evicts it.
func (m *Map[K, V]) Put(k K, v V, exp, now time.Time) (dropped int) {
	dropped = m.Sweep(now)
	if it, ok := m.items[k]; ok {
		it.val, it.exp = v, exp
		heap.Fix(&m.h, it.idx)
	} else {
		it := &item[K, V]{key: k, val: v, exp: exp}
		m.items[k] = it
		heap.Push(&m.h, it)
	}
	for len(m.h) > m.max {
		m.pop()
		dropped++
	}
	return dropped
}

// Sweep drops the entries expired at now and returns how many.
func (m *Map[K, V]) Sweep(now time.Time) int {
	n := 0
	for len(m.h) > 0 && !now.Before(m.h[0].exp) {
		m.pop()
		n++
	}
	return n
}

// Delete drops k, reporting whether it was there.
func (m *Map[K, V]) Delete(k K) bool {
	it, ok := m.items[k]
	if !ok {
		return false
	}
	heap.Remove(&m.h, it.idx)
	delete(m.items, k)
	return true
}

func (m *Map[K, V]) pop() {
	it := heap.Pop(&m.h).(*item[K, V])
	delete(m.items, it.key)
}

// byExpiry is a min-heap of items by expiry.
type byExpiry[K comparable, V any] []*item[K, V]

func (h byExpiry[K, V]) Len() int           { return len(h) }
func (h byExpiry[K, V]) Less(i, j int) bool { return h[i].exp.Before(h[j].exp) }
func (h byExpiry[K, V]) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}
func (h *byExpiry[K, V]) Push(x any) {
	it := x.(*item[K, V])
	it.idx = len(*h)
	*h = append(*h, it)
}
func (h *byExpiry[K, V]) Pop() any {
	old := *h
	n := len(old)
	it := old[n-1]
	old[n-1] = nil
	*h = old[:n-1]
	it.idx = -1
	return it
}
