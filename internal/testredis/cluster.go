package testredis

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// ClusterOptions shape a test cluster. The zero value is three masters
// without replicas.
type ClusterOptions struct {
	Masters  int // default 3
	Replicas int // per master
	// NodeTimeout is cluster-node-timeout (default 2s): how long a master
	// may be unreachable before it is failed over. A master waits as long
	// after joining before it serves, and the cluster refuses every key
	// while one master is down and not yet failed over.
	NodeTimeout time.Duration
}

// Cluster is a Redis Cluster of dedicated redis-server processes on
// 127.0.0.1 (cluster mode, no persistence, nodes.conf in a temporary
// directory), stopped when the test ends.
type Cluster struct {
	// Nodes are the masters, then the replicas (their roles at creation:
	// a failover swaps them).
	Nodes []*Server
	dead  map[*Server]bool
}

// NewCluster starts a cluster: the masters share the 16384 slots evenly,
// each with o.Replicas replicas, and it returns once every node reports
// cluster_state:ok and every replica is in sync. Replicas fail over as
// soon as allowed (cluster-replica-validity-factor 0).
func NewCluster(tb testing.TB, o ClusterOptions) *Cluster {
	tb.Helper()
	bin := requireBinary(tb)
	if o.Masters == 0 {
		o.Masters = 3
	}
	if o.NodeTimeout == 0 {
		o.NodeTimeout = 2 * time.Second
	}
	dir := tb.TempDir()
	c := &Cluster{dead: map[*Server]bool{}}
	tb.Cleanup(func() {
		for _, s := range c.Nodes {
			s.Stop()
		}
	})
	n := o.Masters * (1 + o.Replicas)
	bus := make([]int, n)
	for i := range n {
		s, b, err := launchClusterNode(bin, dir, o.NodeTimeout)
		if err != nil {
			tb.Fatalf("testredis: start cluster node: %v", err)
		}
		c.Nodes, bus[i] = append(c.Nodes, s), b
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.create(ctx, o.Masters, bus); err != nil {
		tb.Fatalf("testredis: create cluster: %v", err)
	}
	return c
}

func launchClusterNode(bin, dir string, nodeTimeout time.Duration) (*Server, int, error) {
	var last error
	for try := 0; try < 5; try++ {
		port, err := freePort()
		if err != nil {
			return nil, 0, err
		}
		bus, err := freePort()
		if err != nil {
			return nil, 0, err
		}
		s, err := startServer(bin, true, port, serverArgs(port,
			"--cluster-enabled", "yes",
			"--cluster-port", strconv.Itoa(bus),
			"--dir", dir,
			"--cluster-config-file", "nodes-"+strconv.Itoa(port)+".conf",
			"--cluster-node-timeout", strconv.FormatInt(nodeTimeout.Milliseconds(), 10),
			"--cluster-replica-validity-factor", "0",
			"--repl-diskless-sync-delay", "0",
		))
		if err == nil {
			return s, bus, nil
		}
		last = err
	}
	return nil, 0, last
}

// create assigns the slots, joins the nodes and attaches the replicas
// (what `redis-cli --cluster create` does), then waits for the cluster.
func (c *Cluster) create(ctx context.Context, masters int, bus []int) error {
	ids := make([]string, len(c.Nodes))
	err := c.each(func(i int, rc *redis.Client) error {
		var err error
		if ids[i], err = rc.Do(ctx, "CLUSTER", "MYID").Text(); err != nil {
			return err
		}
		// distinct epochs, as redis-cli sets them, so no collision needs resolving
		if err := rc.Do(ctx, "CLUSTER", "SET-CONFIG-EPOCH", i+1).Err(); err != nil {
			return err
		}
		if i < masters {
			from, to := i*16384/masters, (i+1)*16384/masters-1
			return rc.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", from, to).Err()
		}
		return nil
	})
	if err != nil {
		return err
	}
	// every node meets every later one: nobody waits for gossip to learn
	// of the others
	err = c.each(func(i int, rc *redis.Client) error {
		for j := i + 1; j < len(c.Nodes); j++ {
			_, port, _ := net.SplitHostPort(c.Nodes[j].Addr)
			if err := rc.Do(ctx, "CLUSTER", "MEET", "127.0.0.1", port, bus[j]).Err(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = waitUntil(ctx, "every node knows every other", func() (bool, error) {
		ok := true
		err := c.each(func(_ int, rc *redis.Client) error {
			nodes, err := rc.ClusterNodes(ctx).Result()
			if err != nil {
				return err
			}
			for _, id := range ids {
				if !strings.Contains(nodes, id) {
					ok = false
				}
			}
			ok = ok && !strings.Contains(nodes, "handshake")
			return nil
		})
		return ok, err
	})
	if err != nil {
		return err
	}
	err = c.each(func(i int, rc *redis.Client) error {
		if i < masters {
			return nil
		}
		return rc.Do(ctx, "CLUSTER", "REPLICATE", ids[(i-masters)%masters]).Err()
	})
	if err != nil {
		return err
	}
	return c.WaitHealthy(ctx)
}

// each runs fn with a client of every live node, in order.
func (c *Cluster) each(fn func(i int, rc *redis.Client) error) error {
	for i, s := range c.Nodes {
		if c.dead[s] {
			continue
		}
		rc := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
		err := fn(i, rc)
		_ = rc.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", s.Addr, err)
		}
	}
	return nil
}

// Addrs are the addresses of the live nodes.
func (c *Cluster) Addrs() []string {
	var out []string
	for _, s := range c.Nodes {
		if !c.dead[s] {
			out = append(out, s.Addr)
		}
	}
	return out
}

// Client returns a new cluster client seeded with every live node; the
// caller closes it.
func (c *Cluster) Client() *redis.ClusterClient {
	return redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
}

// Kill crashes node s (SIGKILL); its replica takes over its slots once
// the others have noticed (NodeTimeout, then an election): WaitHealthy.
func (c *Cluster) Kill(s *Server) {
	s.Kill()
	c.dead[s] = true
}

// MasterOf is the node serving key's hash slot now, as the live nodes
// see it.
func (c *Cluster) MasterOf(ctx context.Context, key string) (*Server, error) {
	var addr string
	err := c.each(func(_ int, rc *redis.Client) error {
		if addr != "" {
			return nil
		}
		slot, err := rc.ClusterKeySlot(ctx, key).Result()
		if err != nil {
			return err
		}
		slots, err := rc.ClusterSlots(ctx).Result()
		if err != nil {
			return err
		}
		for _, r := range slots {
			if int64(r.Start) <= slot && slot <= int64(r.End) && len(r.Nodes) > 0 {
				addr = r.Nodes[0].Addr
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, s := range c.Nodes {
		if s.Addr == addr {
			return s, nil
		}
	}
	return nil, fmt.Errorf("no node serves %q", key)
}

// WaitHealthy waits until every live node reports cluster_state:ok and
// sees every slot served by a live master whose live replicas are in
// sync with it.
func (c *Cluster) WaitHealthy(ctx context.Context) error {
	live := map[string]bool{}
	for _, a := range c.Addrs() {
		live[a] = true
	}
	return waitUntil(ctx, "the cluster is healthy", func() (bool, error) {
		ok := true
		err := c.each(func(_ int, rc *redis.Client) error {
			info, err := rc.ClusterInfo(ctx).Result()
			if err != nil {
				return err
			}
			if !strings.Contains(info, "cluster_state:ok") {
				ok = false
				return nil
			}
			slots, err := rc.ClusterSlots(ctx).Result()
			if err != nil {
				return err
			}
			covered := 0
			for _, r := range slots {
				if len(r.Nodes) == 0 || !live[r.Nodes[0].Addr] {
					ok = false
					return nil
				}
				covered += r.End - r.Start + 1
			}
			ok = ok && covered == 16384
			repl, err := rc.Info(ctx, "replication").Result()
			if err != nil {
				return err
			}
			if strings.Contains(repl, "role:slave") && !strings.Contains(repl, "master_link_status:up") {
				ok = false
			}
			// a master counts a replica (WAIT included) once it is online
			if strings.Contains(repl, "role:master") && onlineReplicas(repl) != strings.Count(repl, "\r\nslave") {
				ok = false
			}
			return nil
		})
		return ok, err
	})
}

// WaitReplicated waits until the replicas of master s have everything s
// has written (replication is asynchronous: a failover loses what the
// promoted replica had not received): it writes a key of one of s's slots
// and WAITs for every connected replica to acknowledge it.
func (c *Cluster) WaitReplicated(ctx context.Context, s *Server) error {
	rc := s.Client()
	defer rc.Close()
	conn := rc.Conn()
	defer conn.Close()
	repl, err := conn.Info(ctx, "replication").Result()
	if err != nil {
		return err
	}
	replicas := 0
	for _, line := range strings.Split(repl, "\r\n") {
		if v, ok := strings.CutPrefix(line, "connected_slaves:"); ok {
			replicas, _ = strconv.Atoi(v)
		}
	}
	if replicas == 0 {
		return fmt.Errorf("%s has no replica", s.Addr)
	}
	slots, err := conn.ClusterSlots(ctx).Result()
	if err != nil {
		return err
	}
	for i := 0; i < 1<<16; i++ {
		key := "testredis:wait:" + strconv.Itoa(i)
		slot, err := conn.ClusterKeySlot(ctx, key).Result()
		if err != nil {
			return err
		}
		for _, r := range slots {
			if int64(r.Start) <= slot && slot <= int64(r.End) && len(r.Nodes) > 0 && r.Nodes[0].Addr == s.Addr {
				if err := conn.Set(ctx, key, "1", time.Minute).Err(); err != nil {
					return err
				}
				deadline, ok := ctx.Deadline()
				if !ok {
					deadline = time.Now().Add(10 * time.Second)
				}
				n, err := conn.Wait(ctx, replicas, time.Until(deadline)).Result()
				if err == nil && n < int64(replicas) {
					err = fmt.Errorf("%d of %d replicas of %s acknowledged", n, replicas, s.Addr)
				}
				return err
			}
		}
	}
	return fmt.Errorf("%s serves no slot", s.Addr)
}

// waitUntil polls cond until it holds, an error from it persists past
// ctx's deadline, or ctx ends.
func waitUntil(ctx context.Context, what string, cond func() (bool, error)) error {
	var last error
	for {
		ok, err := cond()
		if err == nil && ok {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("waiting until %s: %w (last error: %v)", what, ctx.Err(), last)
			}
			return fmt.Errorf("waiting until %s: %w", what, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
