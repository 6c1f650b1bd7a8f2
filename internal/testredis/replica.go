package testredis

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Replicated is a master and its replicas, dedicated redis-server processes
// on 127.0.0.1 (no persistence) stopped when the test ends.
type Replicated struct {
	Master   *Server
	Replicas []*Server
}

// NewReplicated starts a master and n replicas of it, and returns once
// every replica is in sync.
func NewReplicated(tb testing.TB, n int) *Replicated {
	tb.Helper()
	bin := requireBinary(tb)
	dir := tb.TempDir() // a replica writes the synced data there
	r := &Replicated{}
	tb.Cleanup(func() {
		for _, s := range r.Replicas {
			s.Stop()
		}
		if r.Master != nil {
			r.Master.Stop()
		}
	})
	start := func(extra ...string) *Server {
		var last error
		for try := 0; try < 5; try++ {
			port, err := freePort()
			if err != nil {
				tb.Fatal(err)
			}
			s, err := startServer(bin, true, port, serverArgs(port, append([]string{"--dir", dir, "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"}, extra...)...))
			if err == nil {
				return s
			}
			last = err
		}
		tb.Fatalf("testredis: start: %v", last)
		return nil
	}
	r.Master = start()
	host, port := splitAddr(r.Master.Addr)
	for range n {
		r.Replicas = append(r.Replicas, start("--replicaof", host, port))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.WaitInSync(ctx); err != nil {
		tb.Fatal(err)
	}
	return r
}

// WaitInSync waits until the master counts every replica online (after a
// diskless sync only the replica's first acknowledgement, up to a second
// later, puts it online: WAIT does not count it before) and each replica's
// link to it is up.
func (r *Replicated) WaitInSync(ctx context.Context) error {
	if err := r.Master.WaitReplicasOnline(ctx, len(r.Replicas)); err != nil {
		return err
	}
	return waitUntil(ctx, "the replicas' links are up", func() (bool, error) {
		for _, s := range r.Replicas {
			rc := s.Client()
			info, err := rc.Info(ctx, "replication").Result()
			rc.Close()
			if err != nil || !strings.Contains(info, "master_link_status:up") {
				return false, err
			}
		}
		return true, nil
	})
}

// WaitReplicasOnline waits until the server, a master, has n replicas
// online and they acknowledge its writes: a write followed by WAIT is
// acknowledged by n replicas. (A replica that has just become online may
// leave WAIT unanswered for a moment.)
func (s *Server) WaitReplicasOnline(ctx context.Context, n int) error {
	c := s.Client()
	defer c.Close()
	return waitUntil(ctx, fmt.Sprintf("%s has %d replicas online", s.Addr, n), func() (bool, error) {
		info, err := c.Info(ctx, "replication").Result()
		if err != nil || onlineReplicas(info) != n {
			return false, err
		}
		var wait *redis.IntCmd
		_, err = c.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "testredis:probe", "1", time.Minute)
			wait = redis.NewIntCmd(ctx, "wait", n, 100)
			return p.Process(ctx, wait)
		})
		return err == nil && wait.Val() >= int64(n), err
	})
}

// onlineReplicas counts the replicas a master's INFO replication lists
// online.
func onlineReplicas(info string) int {
	n := 0
	for _, line := range strings.Split(info, "\r\n") {
		if strings.HasPrefix(line, "slave") && strings.Contains(line, ",state=online,") {
			n++
		}
	}
	return n
}

// Pause freezes the server (SIGSTOP): its connections stay open, but it
// neither answers nor acknowledges replication until Resume.
func (s *Server) Pause() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGSTOP)
	}
}

// Resume lets a paused server run again (SIGCONT).
func (s *Server) Resume() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGCONT)
	}
}
