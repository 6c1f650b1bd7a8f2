package main

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisTarget is a parsed --redis-url: one Redis server, a Redis Cluster or
// a primary managed by Sentinel. Exactly one of the options is set.
//
//	redis://[[user]:password@]host[:port][/db][?options]        one server
//	rediss://…                                                   the same over TLS
//	redis+cluster://[[user]:password@]host:port[,host:port…][/][?options]
//	redis+sentinel://[[user]:password@]host:port[,host:port…]/master[/db][?options]
//	rediss+cluster://…, rediss+sentinel://…                      over TLS
//
// The options are go-redis's URL options (dial_timeout, read_timeout,
// pool_size, max_retries, …). A cluster URL's nodes are seeds (the client
// learns the others from them) and may also be given as addr=host:port
// options, go-redis's own cluster URL form; a cluster has only database 0.
// A sentinel URL names the sentinels and the monitored master; its user
// and password are the master's, the sentinels' are the options
// sentinel_username and sentinel_password. Ports default to 6379, and
// 26379 for sentinels.
type redisTarget struct {
	server   *redis.Options
	cluster  *redis.ClusterOptions
	failover *redis.FailoverOptions
}

// redisForms is how the setting's error names the accepted forms.
const redisForms = "redis://, rediss://, redis+cluster://host:port,… or redis+sentinel://host:port,…/master"

func parseRedisURL(raw string) (redisTarget, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return redisTarget{}, errors.New("must be a URL: " + redisForms)
	}
	base, kind, _ := strings.Cut(strings.ToLower(scheme), "+")
	if base != "redis" && base != "rediss" && !(base == "unix" && kind == "") {
		return redisTarget{}, errors.New("must be " + redisForms)
	}
	switch kind {
	case "":
		o, err := redis.ParseURL(raw)
		if err != nil {
			return redisTarget{}, urlError(err)
		}
		return redisTarget{server: o}, nil
	case "cluster", "sentinel":
	default:
		return redisTarget{}, errors.New("must be " + redisForms)
	}

	// The authority holds a list of nodes, which url.Parse does not take:
	// the rest is parsed with the first node alone.
	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	userinfo, hosts := "", authority
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		userinfo, hosts = authority[:i+1], authority[i+1:]
	}
	defaultPort := "6379"
	if kind == "sentinel" {
		defaultPort = "26379"
	}
	var addrs []string
	for _, h := range strings.Split(hosts, ",") {
		a, err := redisAddr(h, defaultPort)
		if err != nil {
			return redisTarget{}, err
		}
		addrs = append(addrs, a)
	}
	u, err := url.Parse(base + "://" + userinfo + addrs[0] + tail)
	if err != nil {
		return redisTarget{}, urlError(err)
	}
	if u.Fragment != "" {
		return redisTarget{}, errors.New("must not have a #fragment")
	}
	q := u.Query()
	path := strings.Trim(u.Path, "/")

	if kind == "cluster" {
		if path != "" && path != "0" {
			return redisTarget{}, errors.New("must not name a database: a Redis Cluster has only database 0")
		}
		if len(addrs) > 1 { // the listed nodes come before addr= ones
			q["addr"] = append(addrs[1:], q["addr"]...)
		}
		u.Path, u.RawQuery = "", q.Encode()
		o, err := redis.ParseClusterURL(u.String())
		if err != nil {
			return redisTarget{}, urlError(err)
		}
		return redisTarget{cluster: o}, nil
	}

	master, db, _ := strings.Cut(path, "/")
	if master == "" {
		return redisTarget{}, errors.New("must name the master Sentinel monitors: redis+sentinel://host:port,…/master[/db]")
	}
	f := &redis.FailoverOptions{
		MasterName:       master,
		SentinelAddrs:    addrs,
		SentinelUsername: q.Get("sentinel_username"),
		SentinelPassword: q.Get("sentinel_password"),
	}
	q.Del("sentinel_username")
	q.Del("sentinel_password")
	// The master's connection options are those of a redis:// URL.
	u.Scheme, u.Path, u.RawQuery = "redis", "/"+db, q.Encode()
	o, err := redis.ParseURL(u.String())
	if err != nil {
		return redisTarget{}, urlError(err)
	}
	f.Username, f.Password, f.DB = o.Username, o.Password, o.DB
	f.Protocol, f.ClientName = o.Protocol, o.ClientName
	f.MaxRetries, f.MinRetryBackoff, f.MaxRetryBackoff = o.MaxRetries, o.MinRetryBackoff, o.MaxRetryBackoff
	f.DialTimeout, f.ReadTimeout, f.WriteTimeout = o.DialTimeout, o.ReadTimeout, o.WriteTimeout
	f.PoolFIFO, f.PoolSize, f.PoolTimeout = o.PoolFIFO, o.PoolSize, o.PoolTimeout
	f.MinIdleConns, f.MaxIdleConns, f.MaxActiveConns = o.MinIdleConns, o.MaxIdleConns, o.MaxActiveConns
	f.ConnMaxIdleTime, f.ConnMaxLifetime = o.ConnMaxIdleTime, o.ConnMaxLifetime
	if base == "rediss" {
		// No ServerName: the master is found through Sentinel, so each
		// certificate is checked against the address dialled.
		f.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return redisTarget{failover: f}, nil
}

// redisAddr checks one host[:port] of a node list.
func redisAddr(h, defaultPort string) (string, error) {
	host, port, err := net.SplitHostPort(h)
	if err != nil { // no port
		host, port = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"), defaultPort
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || host == "" || strings.ContainsAny(host, "[]/@ ") {
		return "", errors.New("has an invalid node address " + strconv.Quote(h) + " (want host:port)")
	}
	return net.JoinHostPort(host, port), nil
}

// urlError is err without the URL (which may hold a password).
func urlError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return errors.New("is not a valid Redis URL: " + err.Error())
}

// readTimeout is how long the client waits for a reply: the URL's
// read_timeout, go-redis's 3 s without one, 0 for none.
func (t redisTarget) readTimeout() time.Duration {
	d := time.Duration(0)
	switch {
	case t.cluster != nil:
		d = t.cluster.ReadTimeout
	case t.failover != nil:
		d = t.failover.ReadTimeout
	default:
		d = t.server.ReadTimeout
	}
	switch {
	case d == 0:
		return 3 * time.Second
	case d < 0:
		return 0
	}
	return d
}

// kind names the deployment for messages.
func (t redisTarget) kind() string {
	switch {
	case t.cluster != nil:
		return "Redis Cluster"
	case t.failover != nil:
		return "Redis Sentinel"
	}
	return "Redis"
}

// newClient builds the target's go-redis client. A cluster client
// re-reads the slot map as soon as a command fails on the network or with
// CLUSTERDOWN (go-redis alone re-reads it only when a node answers MOVED,
// or every 10 s): after a failover the promoted replica serves the dead
// master's slots from the next command on.
func (t redisTarget) newClient() redis.UniversalClient {
	switch {
	case t.cluster != nil:
		c := redis.NewClusterClient(t.cluster)
		c.AddHook(reloadOnFailure{c})
		return c
	case t.failover != nil:
		return redis.NewFailoverClient(t.failover)
	}
	return redis.NewClient(t.server)
}

type reloadOnFailure struct{ c *redis.ClusterClient }

func (h reloadOnFailure) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h reloadOnFailure) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if topologyMayHaveChanged(err) {
			h.c.ReloadState(ctx) // in the background, at most one at a time
		}
		return err
	}
}

func (h reloadOnFailure) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		if topologyMayHaveChanged(err) {
			h.c.ReloadState(ctx)
		}
		return err
	}
}

// topologyMayHaveChanged: the node did not answer (refused, reset, timed
// out) or the cluster says it is down.
func topologyMayHaveChanged(err error) bool {
	if err == nil || errors.Is(err, redis.Nil) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || strings.HasPrefix(err.Error(), "CLUSTERDOWN")
}
