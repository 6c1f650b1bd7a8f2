package main

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"partnergraph/guard/idempotency"
	"partnergraph/internal/testredis"
)

func TestParseRedisURL(t *testing.T) {
	t.Run("server", func(t *testing.T) {
		r, err := parseRedisURL("rediss://u:p%40ss@cache.example:6380/3?dial_timeout=2s&pool_size=7")
		if err != nil {
			t.Fatal(err)
		}
		o := r.server
		if o == nil || o.Addr != "cache.example:6380" || o.Username != "u" || o.Password != "p@ss" || o.DB != 3 ||
			o.DialTimeout != 2*time.Second || o.PoolSize != 7 || o.TLSConfig == nil || o.TLSConfig.ServerName != "cache.example" {
			t.Fatalf("%+v", r)
		}
		if _, ok := r.newClient().(*redis.Client); !ok {
			t.Fatal("not a single-server client")
		}
	})
	t.Run("cluster", func(t *testing.T) {
		for _, u := range []string{
			"redis+cluster://:secret@10.0.0.1:7000,10.0.0.2:7001,[fd00::3]:7002/?read_timeout=1s",
			"redis+cluster://:secret@10.0.0.1:7000/0?addr=10.0.0.2:7001&addr=[fd00::3]:7002&read_timeout=1s",
			"REDIS+CLUSTER://:secret@10.0.0.1:7000,10.0.0.2:7001?addr=[fd00::3]:7002&read_timeout=1",
		} {
			r, err := parseRedisURL(u)
			if err != nil {
				t.Fatalf("%s: %v", u, err)
			}
			o := r.cluster
			if o == nil || strings.Join(o.Addrs, " ") != "10.0.0.1:7000 10.0.0.2:7001 [fd00::3]:7002" ||
				o.Password != "secret" || o.ReadTimeout != time.Second || o.TLSConfig != nil {
				t.Fatalf("%s: %+v", u, r)
			}
		}
		r, err := parseRedisURL("rediss+cluster://cfg.cache.example")
		if err != nil || strings.Join(r.cluster.Addrs, " ") != "cfg.cache.example:6379" || r.cluster.TLSConfig == nil {
			t.Fatalf("%+v %v", r, err)
		}
		c := r.newClient()
		defer c.Close()
		if _, ok := c.(*redis.ClusterClient); !ok {
			t.Fatal("not a cluster client")
		}
	})
	t.Run("sentinel", func(t *testing.T) {
		r, err := parseRedisURL("redis+sentinel://:masterpw@s1.example,s2.example:26380/mymaster/2?sentinel_password=sentpw&dial_timeout=3&max_retries=5")
		if err != nil {
			t.Fatal(err)
		}
		f := r.failover
		if f == nil || f.MasterName != "mymaster" || strings.Join(f.SentinelAddrs, " ") != "s1.example:26379 s2.example:26380" ||
			f.Password != "masterpw" || f.SentinelPassword != "sentpw" || f.DB != 2 || f.DialTimeout != 3*time.Second ||
			f.MaxRetries != 5 || f.TLSConfig != nil {
			t.Fatalf("%+v", f)
		}
		r, err = parseRedisURL("rediss+sentinel://s1.example/mymaster")
		if err != nil || r.failover.DB != 0 || r.failover.TLSConfig == nil || r.failover.TLSConfig.ServerName != "" {
			t.Fatalf("%+v %v", r.failover, err)
		}
		c := r.newClient()
		defer c.Close()
		if _, ok := c.(*redis.Client); !ok {
			t.Fatal("not a failover client")
		}
	})
	for u, want := range map[string]string{
		"mysql://db:3306":                              "must be redis://",
		"cache.example:6379":                           "must be a URL",
		"redis+proxy://h:1":                            "must be redis://",
		"redis://h:1/x":                                "invalid database number",
		"redis://:hunter2@h:1/?pool_size=x":            "invalid pool_size",
		"redis://:hunter2@h:1/?nope=1":                 "unexpected option: nope",
		"redis+cluster://:hunter2@h:1,h:x":             `invalid node address "h:x"`,
		"redis+cluster://:hunter2@h:1,,h:2":            `invalid node address ""`,
		"redis+cluster:///":                            `invalid node address ""`,
		"redis+cluster://:hunter2@h:1/2":               "only database 0",
		"redis+cluster://:hunter2@h:1/?db=2":           "unexpected option: db",
		"redis+cluster://:hunter2@h:1/?addr=nohost":    "unable to parse addr param",
		"redis+sentinel://:hunter2@h:1":                "must name the master",
		"redis+sentinel://:hunter2@h:1/m/x":            "invalid database number",
		"redis+sentinel://:hunter2@h:1/m/1/2":          "invalid URL path",
		"redis+sentinel://:hunter2@h:1/m?sentinel=1":   "unexpected option: sentinel",
		"redis+sentinel://:hunter2@h:1/m#frag":         "#fragment",
		"redis+sentinel://:hunter2@h:99999/m":          "invalid node address",
		"unix+cluster:///tmp/redis.sock":               "must be redis://",
		"redis://:hunter2@h:1/?dial_timeout=yesterday": "invalid dial_timeout",
	} {
		_, err := parseRedisURL(u)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: got %v, want one line with %q and no password", u, err, want)
		}
	}
}

// The setting names itself in the one-line error.
func TestRedisURLSetting(t *testing.T) {
	_, err := parseConfig([]string{"--redis-url", "redis+cluster://:hunter2@h:1/5"}, func(string) string { return "" }, io.Discard)
	if err == nil || !strings.HasPrefix(err.Error(), "invalid configuration: --redis-url (PARTNERGRAPH_REDIS_URL) must not name a database") ||
		strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("got %v", err)
	}
	_, err = parseConfig(nil, func(k string) string {
		if k == "PARTNERGRAPH_REDIS_URL" {
			return "redis+sentinel://h:26379"
		}
		return ""
	}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--redis-url (PARTNERGRAPH_REDIS_URL) must name the master") {
		t.Fatalf("got %v", err)
	}
}

// buildGuards and edgeOptions share one client, closed with the last of
// them.
func TestOneRedisClient(t *testing.T) {
	c, err := parseConfig([]string{"--audit-log", "off", "--redis-url", testRedisURL(t)}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	_, _, closeStores, err := buildGuards(c)
	if err != nil {
		t.Fatal(err)
	}
	first := c.redis.client
	_, closeWeb, err := edgeOptions(c)
	if err != nil {
		t.Fatal(err)
	}
	if c.redis.client != first || c.redis.users != 2 {
		t.Fatalf("%d users of %p, then %p", c.redis.users, first, c.redis.client)
	}
	closeWeb()
	closeWeb()
	if err := first.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("closed while the stores use it: %v", err)
	}
	closeStores()
	if err := first.Ping(context.Background()).Err(); err == nil || c.redis.client != nil {
		t.Fatal("still open after both released it")
	}
}

// --redis-url redis+sentinel://… finds the master through a real Sentinel
// and follows it to the replica when the master dies.
func TestRedisSentinel(t *testing.T) {
	ctx := context.Background()
	s := testredis.NewSentinel(t)
	c, err := parseConfig([]string{"--audit-log", "off", "--redis-url", "redis+sentinel://" + s.Sentinel.Addr + "/" + testredis.SentinelMaster},
		func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	deps, _, closeAll, err := buildGuards(c)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	r, _, err := deps.Idempotency.Begin(ctx, "p1/alice", "sentinel-1", "digest")
	if err != nil || r == nil {
		t.Fatalf("begin: %v", err)
	}
	if err := r.Complete(ctx, []byte("done")); err != nil {
		t.Fatal(err)
	}
	mc := redis.NewClient(&redis.Options{Addr: s.Master.Addr})
	conn := mc.Conn()
	if n, err := conn.Keys(ctx, "*sentinel-1*").Result(); err != nil || len(n) != 1 {
		t.Fatalf("the record is not on the master: %v %v", n, err)
	}
	// replication is ordered: once the replica has this write it has the record
	if err := conn.Set(ctx, "sync", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := conn.Wait(ctx, 1, 5*time.Second).Result(); err != nil || n != 1 {
		t.Fatalf("the replica did not acknowledge: %d %v", n, err)
	}
	conn.Close()
	mc.Close()

	start := time.Now()
	s.Master.Kill()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s.WaitMaster(wctx, s.Replica.Addr); err != nil {
		t.Fatal(err)
	}
	for {
		_, replay, err := deps.Idempotency.Begin(ctx, "p1/alice", "sentinel-1", "digest")
		if err == nil {
			if string(replay) != "done" {
				t.Fatalf("after the failover: replay %q", replay)
			}
			break
		}
		if wctx.Err() != nil {
			t.Fatalf("after the failover: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("failed over and replayed %v after the kill", time.Since(start).Round(10*time.Millisecond))
}

// --redis-wait-replicas needs a Redis, and its WAIT must end before the
// client stops reading; with it, the idempotency store fails closed when
// the replica does not acknowledge.
func TestRedisWaitReplicas(t *testing.T) {
	env := func(string) string { return "" }
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--redis-wait-replicas", "1"}, "--redis-wait-replicas (PARTNERGRAPH_REDIS_WAIT_REPLICAS) needs --redis-url"},
		{[]string{"--redis-wait-replicas", "17"}, "--redis-wait-replicas (PARTNERGRAPH_REDIS_WAIT_REPLICAS) must be an integer between 0 and 16"},
		{[]string{"--redis-wait-timeout", "0s"}, "--redis-wait-timeout (PARTNERGRAPH_REDIS_WAIT_TIMEOUT) must be a positive duration"},
		{[]string{"--redis-url", "redis://h:1?read_timeout=200ms", "--redis-wait-replicas", "1"},
			"--redis-wait-timeout (PARTNERGRAPH_REDIS_WAIT_TIMEOUT) must be shorter than the Redis read timeout (200ms"},
		{[]string{"--redis-url", "redis+cluster://h:1,h:2", "--redis-wait-replicas", "1", "--redis-wait-timeout", "3s"},
			"must be shorter than the Redis read timeout (3s"},
	} {
		if _, err := parseConfig(c.args, env, io.Discard); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
	}
	c, err := parseConfig([]string{"--redis-url", "redis://h:1?read_timeout=-1"}, func(k string) string {
		return map[string]string{"PARTNERGRAPH_REDIS_WAIT_REPLICAS": "2", "PARTNERGRAPH_REDIS_WAIT_TIMEOUT": "10s"}[k]
	}, io.Discard)
	if err != nil || c.redisWaitReplicas != 2 || c.redisWaitTimeout != 10*time.Second {
		t.Fatalf("%+v %v", c, err)
	}

	rs := testredis.NewReplicated(t, 1)
	c, err = parseConfig([]string{"--audit-log", "off", "--redis-url", "redis://" + rs.Master.Addr, "--redis-wait-replicas", "1", "--redis-wait-timeout", "200ms"}, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	deps, _, closeAll, err := buildGuards(c)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	ctx := context.Background()
	if r, _, err := deps.Idempotency.Begin(ctx, "p1/alice", "wait-1", "digest"); err != nil || r == nil {
		t.Fatalf("begin with the replica in sync: %v", err)
	}
	rs.Replicas[0].Pause()
	defer rs.Replicas[0].Resume()
	if _, _, err := deps.Idempotency.Begin(ctx, "p1/alice", "wait-2", "digest"); !errors.Is(err, idempotency.ErrNotReplicated) {
		t.Fatalf("begin with the replica paused: %v", err)
	}
}
