package testredis

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// SentinelMaster is the name Sentinel monitors the master under.
const SentinelMaster = "testmaster"

// Sentinel is a master, its replica and one Sentinel monitoring them
// (quorum 1, a master is down after 1 s), dedicated redis-server
// processes on 127.0.0.1 stopped when the test ends.
type Sentinel struct {
	Master, Replica, Sentinel *Server
}

// NewSentinel starts a master, a replica in sync with it and a Sentinel
// that knows both.
func NewSentinel(tb testing.TB) *Sentinel {
	tb.Helper()
	bin := requireBinary(tb)
	dir := tb.TempDir()
	s := &Sentinel{}
	tb.Cleanup(func() {
		for _, n := range []*Server{s.Sentinel, s.Replica, s.Master} {
			if n != nil {
				n.Stop()
			}
		}
	})
	start := func(args func(port int) ([]string, error)) *Server {
		var last error
		for try := 0; try < 5; try++ {
			port, err := freePort()
			if err != nil {
				tb.Fatal(err)
			}
			a, err := args(port)
			if err != nil {
				tb.Fatal(err)
			}
			n, err := startServer(bin, true, port, a)
			if err == nil {
				return n
			}
			last = err
		}
		tb.Fatalf("testredis: start: %v", last)
		return nil
	}
	// a replica keeps the synced data in dump.rdb in --dir
	s.Master = start(func(port int) ([]string, error) {
		return serverArgs(port, "--dir", dir, "--repl-diskless-sync-delay", "0"), nil
	})
	host, mport := splitAddr(s.Master.Addr)
	s.Replica = start(func(port int) ([]string, error) {
		return serverArgs(port, "--dir", dir, "--replicaof", host, mport, "--repl-diskless-sync-delay", "0"), nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rc := s.Replica.Client()
	err := waitUntil(ctx, "the replica is in sync", func() (bool, error) {
		info, err := rc.Info(ctx, "replication").Result()
		return strings.Contains(info, "master_link_status:up"), err
	})
	rc.Close()
	if err != nil {
		tb.Fatal(err)
	}
	s.Sentinel = start(func(port int) ([]string, error) {
		conf := filepath.Join(dir, "sentinel-"+strconv.Itoa(port)+".conf")
		err := os.WriteFile(conf, []byte(fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\n"+
			"sentinel monitor %s %s %s 1\nsentinel down-after-milliseconds %[3]s 1000\nsentinel failover-timeout %[3]s 5000\n",
			port, dir, SentinelMaster, host, mport)), 0o600)
		return []string{conf, "--sentinel", "--loglevel", "warning"}, err
	})
	sc := redis.NewSentinelClient(&redis.Options{Addr: s.Sentinel.Addr})
	defer sc.Close()
	err = waitUntil(ctx, "Sentinel knows the replica", func() (bool, error) {
		r, err := sc.Replicas(ctx, SentinelMaster).Result()
		return len(r) == 1, err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// WaitMaster waits until Sentinel names addr as the master.
func (s *Sentinel) WaitMaster(ctx context.Context, addr string) error {
	sc := redis.NewSentinelClient(&redis.Options{Addr: s.Sentinel.Addr})
	defer sc.Close()
	return waitUntil(ctx, "Sentinel names "+addr+" master", func() (bool, error) {
		a, err := sc.GetMasterAddrByName(ctx, SentinelMaster).Result()
		return err == nil && len(a) == 2 && a[0]+":"+a[1] == addr, err
	})
}

func splitAddr(addr string) (host, port string) {
	i := strings.LastIndexByte(addr, ':')
	return addr[:i], addr[i+1:]
}
