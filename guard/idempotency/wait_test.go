package idempotency

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"partnergraph/internal/testredis"
)

const waitTimeout = 200 * time.Millisecond

// notReplicated fails the test unless err is ErrNotReplicated, answered
// once WAIT gave up (not long after the timeout).
func notReplicated(t *testing.T, what string, start time.Time, err error) {
	t.Helper()
	if !errors.Is(err, ErrNotReplicated) {
		t.Fatalf("%s with the replica paused: %v, want ErrNotReplicated", what, err)
	}
	if took := time.Since(start); took < waitTimeout || took > waitTimeout+2*time.Second {
		t.Fatalf("%s failed after %s (WAIT timeout %s)", what, took, waitTimeout)
	}
}

// With a master and one replica and WaitReplicas 1, every write the
// guarantee rests on is on the replica when it returns; with the replica
// frozen (SIGSTOP: its connection stays up, it acknowledges nothing) or
// gone, each of them fails closed with ErrNotReplicated, without leaving a
// reservation or a lock behind that a retry would have to wait out.
func TestWaitReplicas(t *testing.T) {
	rs := testredis.NewReplicated(t, 1)
	master, replica := rs.Master.Client(), rs.Replicas[0].Client()
	defer master.Close()
	defer replica.Close()
	var n atomic.Int32
	newStore := func(o Options) *Store {
		o.Prefix, o.WaitReplicas, o.WaitTimeout = fmt.Sprintf("w%d:", n.Add(1)), 1, waitTimeout
		return NewRedisStore(master, o)
	}
	t.Run("behaviours", func(t *testing.T) {
		runBehaviours(t, func(_ *testing.T, o Options) *Store { return newStore(o) })
	})

	s := newStore(Options{})
	b := s.b.(*redisBackend)
	onReplica := func(what string, got func() (string, error), want string) {
		t.Helper()
		if v, err := got(); err != nil || v != want {
			t.Fatalf("%s on the replica: %q (%v), want %q", what, v, err, want)
		}
	}
	field := func(key, f string) func() (string, error) {
		return func() (string, error) { return replica.HGet(ctx, key, f).Result() }
	}
	k1 := b.key(scope, "k1")
	lock, claims := b.target("customer/c1")

	// Healthy: each write is on the replica when it returns; the scripts
	// load themselves when the master does not know them.
	if err := master.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	r := mustBegin(t, s, "k1", dA)
	onReplica("the reservation", field(k1, "state"), "reserved")
	if err := r.Arm(ctx); err != nil {
		t.Fatal(err)
	}
	onReplica("arming", field(k1, "state"), "armed")
	if err := r.Record(ctx, "customer/c1", &Attempt{Deadline: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if v, err := replica.HExists(ctx, k1, "a:customer/c1").Result(); err != nil || !v {
		t.Fatalf("the attempt is not on the replica (%v)", err)
	}
	l, err := s.Lock(ctx, "customer/c1")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := replica.Get(ctx, lock).Result(); err != nil || v == "" {
		t.Fatalf("the lock is not on the replica (%v)", err)
	}
	if err := l.Claim(ctx, "k1", []string{"T1"}); err != nil {
		t.Fatal(err)
	}
	if v, err := replica.HExists(ctx, claims, "T1").Result(); err != nil || !v {
		t.Fatalf("the claim is not on the replica (%v)", err)
	}
	if err := r.Complete(ctx, []byte("outcome")); err != nil {
		t.Fatal(err)
	}
	onReplica("the outcome", field(k1, "outcome"), "outcome")
	_ = l.Unlock(ctx)

	// Frozen replica: every write fails closed. WAIT on a connection that
	// wrote nothing since the freeze would count the frozen replica (its
	// last acknowledgement covers what that connection wrote), so these
	// failures also show that WAIT runs on the connection of the write.
	held := mustBegin(t, s, "k2", dA)
	lk, err := s.Lock(ctx, "customer/c2")
	if err != nil {
		t.Fatal(err)
	}
	rs.Replicas[0].Pause()
	paused := true
	defer func() {
		if paused {
			rs.Replicas[0].Resume()
		}
	}()
	start := time.Now()
	_, _, err = s.Begin(ctx, scope, "k3", dA)
	notReplicated(t, "Begin", start, err)
	for _, step := range []struct {
		what string
		do   func() error
	}{
		{"Arm", func() error { return held.Arm(ctx) }},
		{"Record", func() error { return held.Record(ctx, "customer/c2", &Attempt{Deadline: time.Now()}) }},
		{"Claim", func() error { return lk.Claim(ctx, "k2", []string{"T2"}) }},
		{"Complete", func() error { return held.Complete(ctx, []byte("x")) }},
		{"Lock", func() error { _, err := s.Lock(ctx, "customer/c3"); return err }},
	} {
		start := time.Now()
		notReplicated(t, step.what, start, step.do())
	}
	// A store without WAIT is told nothing: the master acknowledged it.
	plain := NewRedisStore(master, Options{Prefix: b.prefix})
	if _, _, err := plain.Begin(ctx, scope, "k4", dA); err != nil {
		t.Fatalf("Begin without WAIT: %v", err)
	}
	rs.Replicas[0].Resume()
	paused = false

	// What the failed Begin and Lock reserved on the master was given up:
	// the retry proceeds at once.
	if r3 := mustBegin(t, s, "k3", dA); r3.Armed {
		t.Fatalf("k3 after the failed Begin: %+v", r3)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	l3, err := s.Lock(short, "customer/c3")
	if err != nil {
		t.Fatalf("customer/c3 after the failed Lock: %v", err)
	}
	_ = l3.Unlock(ctx)

	// Replica gone: WAIT counts none.
	rs.Replicas[0].Kill()
	start = time.Now()
	_, _, err = s.Begin(ctx, scope, "k5", dA)
	notReplicated(t, "Begin with the replica killed", start, err)
}

// What the WAIT is for: the replica is cut off (and promoted, as a
// failover would), the old master goes on acknowledging writes, then dies.
// A reservation and an outcome the master acknowledged without WAIT are
// not on the new master, where a retry with the same key would start
// afresh and move again; with WAIT the client was told the write failed.
func TestWaitRefusesWhatAFailoverLoses(t *testing.T) {
	rs := testredis.NewReplicated(t, 1)
	master, promoted := rs.Master.Client(), rs.Replicas[0].Client()
	defer master.Close()
	defer promoted.Close()
	plain := NewRedisStore(master, Options{})
	waiting := NewRedisStore(master, Options{WaitReplicas: 1, WaitTimeout: waitTimeout})

	before := mustBegin(t, waiting, "before", dA) // replicated
	if err := before.Complete(ctx, []byte("moved once")); err != nil {
		t.Fatal(err)
	}
	if err := promoted.SlaveOf(ctx, "NO", "ONE").Err(); err != nil {
		t.Fatal(err)
	}
	lost := mustBegin(t, plain, "lost", dA)
	if err := lost.Arm(ctx); err != nil {
		t.Fatal(err)
	}
	if err := lost.Complete(ctx, []byte("moved")); err != nil {
		t.Fatalf("the master acknowledged nothing: %v", err)
	}
	if _, _, err := waiting.Begin(ctx, scope, "refused", dA); !errors.Is(err, ErrNotReplicated) {
		t.Fatalf("with WAIT: %v, want ErrNotReplicated", err)
	}
	rs.Master.Kill()

	after := NewRedisStore(promoted, Options{})
	if _, replay, err := after.Begin(ctx, scope, "before", dA); err != nil || string(replay) != "moved once" {
		t.Fatalf("the replicated outcome on the new master: %q, %v", replay, err)
	}
	if r, replay, err := after.Begin(ctx, scope, "lost", dA); err != nil || r == nil || replay != nil || r.Armed {
		t.Fatalf("the acknowledged outcome was kept: %+v %q %v", r, replay, err)
	}
}

// On a Redis Cluster with a replica per master, WAIT goes to the master of
// the key's slot on the script's connection: with the replica of one
// master frozen, the keys of that master's slots fail closed and the
// others do not. The behaviours hold with WAIT.
func TestWaitOnCluster(t *testing.T) {
	cl := testredis.NewCluster(t, testredis.ClusterOptions{Replicas: 1})
	rc := cl.Client()
	defer rc.Close()
	var n atomic.Int32
	newStore := func(o Options) *Store {
		o.Prefix, o.WaitReplicas, o.WaitTimeout = fmt.Sprintf("cw%d:", n.Add(1)), 1, waitTimeout
		return NewRedisStore(rc, o)
	}
	t.Run("behaviours", func(t *testing.T) {
		runBehaviours(t, func(_ *testing.T, o Options) *Store { return newStore(o) })
	})
	s := newStore(Options{})
	b := s.b.(*redisBackend)
	master, err := cl.MasterOf(ctx, b.key(scope, "frozen-0"))
	if err != nil {
		t.Fatal(err)
	}
	i := slices.Index(cl.Nodes, master)
	if i < 0 || i >= 3 {
		t.Fatalf("%s is not a first master", master.Addr)
	}
	// keys on the frozen replica's master and on the others
	var frozen, other []string
	for j := 0; len(frozen) < 3 || len(other) < 3; j++ {
		k := "key-" + strconv.Itoa(j)
		m, err := cl.MasterOf(ctx, b.key(scope, k))
		if err != nil {
			t.Fatal(err)
		}
		if m == master {
			frozen = append(frozen, k)
		} else {
			other = append(other, k)
		}
	}
	for _, k := range append(slices.Clone(frozen), other...) { // warm every node's pool
		if _, _, err := s.Begin(ctx, "warm", k, dA); err != nil {
			t.Fatal(err)
		}
	}
	cl.Nodes[3+i].Pause() // its replica
	defer cl.Nodes[3+i].Resume()
	for _, k := range frozen {
		start := time.Now()
		_, _, err := s.Begin(ctx, scope, k, dA)
		notReplicated(t, "Begin of "+k, start, err)
	}
	for _, k := range other {
		if _, _, err := s.Begin(ctx, scope, k, dA); err != nil {
			t.Fatalf("Begin of %s on a master whose replica runs: %v", k, err)
		}
	}
}

// A Sentinel failover client writes through the master it names; WAIT
// runs in the same pipeline.
func TestWaitWithSentinel(t *testing.T) {
	sn := testredis.NewSentinel(t)
	if err := sn.Master.WaitReplicasOnline(ctx, 1); err != nil {
		t.Fatal(err)
	}
	fc := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: testredis.SentinelMaster, SentinelAddrs: []string{sn.Sentinel.Addr}})
	defer fc.Close()
	s := NewRedisStore(fc, Options{WaitReplicas: 1, WaitTimeout: waitTimeout})
	r := mustBegin(t, s, "k1", dA)
	if err := r.Complete(ctx, []byte("x")); err != nil {
		t.Fatal(err)
	}
	sn.Replica.Pause()
	defer sn.Replica.Resume()
	start := time.Now()
	_, _, err := s.Begin(ctx, scope, "k2", dA)
	notReplicated(t, "Begin", start, err)
}

// The cost of WAIT per write: a key's Begin and Complete, and the writes of
// one money move (Begin, Arm, Lock, Record, Claim, Complete), on a master
// with one replica on loopback, without and with WaitReplicas 1.
func BenchmarkWait(b *testing.B) {
	rs := testredis.NewReplicated(b, 1)
	rc := rs.Master.Client()
	defer rc.Close()
	var keys atomic.Int64 // every run of a benchmark uses new keys
	for _, replicas := range []int{0, 1} {
		s := NewRedisStore(rc, Options{WaitReplicas: replicas, Prefix: fmt.Sprintf("b%d:", replicas)})
		b.Run(fmt.Sprintf("BeginComplete/wait=%d", replicas), func(b *testing.B) {
			for b.Loop() {
				r, _, err := s.Begin(ctx, scope, "bc-"+strconv.FormatInt(keys.Add(1), 10), dA)
				if err != nil {
					b.Fatal(err)
				}
				if err := r.Complete(ctx, []byte("outcome")); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("Move/wait=%d", replicas), func(b *testing.B) {
			for b.Loop() {
				i := keys.Add(1)
				r, _, err := s.Begin(ctx, scope, "mv-"+strconv.FormatInt(i, 10), dA)
				if err != nil {
					b.Fatal(err)
				}
				if err := r.Arm(ctx); err != nil {
					b.Fatal(err)
				}
				l, err := s.Lock(ctx, "customer/bench")
				if err != nil {
					b.Fatal(err)
				}
				if err := r.Record(ctx, "customer/bench", &Attempt{Deadline: time.Now()}); err != nil {
					b.Fatal(err)
				}
				if err := l.Claim(ctx, r.Claimant(), []string{"T" + strconv.FormatInt(i, 10)}); err != nil {
					b.Fatal(err)
				}
				_ = l.Unlock(ctx)
				if err := r.Complete(ctx, []byte("outcome")); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
