// Package testredis gives tests a real Redis server without any setup on the
// developer's side: the first caller in a test binary starts redis-server on
// a random loopback port, and every test gets its own logical database that
// is flushed before use, so tests stay isolated yet pay the start-up cost only
// once per binary.
//
// The shared server is tied to the test process: it is started with
// Pdeathsig, so it dies with the test binary even when that binary is killed.
// Tests that need a server of their own (for example to stop it mid-test)
// use NewServer, whose lifetime is bound to the test through tb.Cleanup.
package testredis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// databases is how many logical databases the shared server offers; it bounds
// how many tests can hold a client at the same time (others wait).
const databases = 64

// startTimeout bounds how long we wait for a fresh server to answer PING.
const startTimeout = 10 * time.Second

// Server is one redis-server process owned by the test binary.
type Server struct {
	Addr string
	cmd  *exec.Cmd
	done chan struct{}
}

var (
	sharedOnce sync.Once
	shared     *Server
	sharedErr  error
	// free holds the database indexes not currently lent to a test.
	free chan int
)

// Binary returns the redis-server executable to use, honouring the
// REDIS_SERVER environment variable before PATH.
func Binary() (string, error) {
	if p := os.Getenv("REDIS_SERVER"); p != "" {
		return p, nil
	}
	return exec.LookPath("redis-server")
}

// requireBinary skips the test when redis-server is missing on a developer
// machine, but fails it under CI, where a silent skip would hide a broken
// pipeline.
func requireBinary(tb testing.TB) string {
	tb.Helper()
	bin, err := Binary()
	if err == nil {
		return bin
	}
	msg := "redis-server not found (install it, e.g. `apt-get install redis-server`, or set REDIS_SERVER): " + err.Error()
	if os.Getenv("CI") != "" {
		tb.Fatal(msg)
	}
	tb.Skip(msg + "; skipping because CI is unset")
	return ""
}

// Start returns a client connected to a private, empty logical database of
// the shared test server. The database is flushed now and the client closed
// when the test ends.
func Start(tb testing.TB) *redis.Client {
	tb.Helper()
	bin := requireBinary(tb)
	sharedOnce.Do(func() {
		shared, sharedErr = launch(bin, true)
		free = make(chan int, databases)
		for i := 0; i < databases; i++ {
			free <- i
		}
	})
	if sharedErr != nil {
		tb.Fatalf("testredis: start shared redis-server: %v", sharedErr)
	}
	var db int
	select {
	case db = <-free:
	case <-time.After(2 * time.Minute):
		tb.Fatal("testredis: no free database on the shared server")
	}
	c := redis.NewClient(&redis.Options{Addr: shared.Addr, DB: db})
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := c.FlushDB(ctx).Err(); err != nil {
		_ = c.Close()
		free <- db
		tb.Fatalf("testredis: flush db %d: %v", db, err)
	}
	tb.Cleanup(func() {
		_ = c.Close()
		free <- db
	})
	return c
}

// NewServer starts a dedicated redis-server that is stopped when the test
// ends. Use it when a test must control the server's lifetime.
func NewServer(tb testing.TB) *Server {
	tb.Helper()
	bin := requireBinary(tb)
	s, err := launch(bin, false)
	if err != nil {
		tb.Fatalf("testredis: start redis-server: %v", err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// Client returns a new client for the server; the caller closes it.
func (s *Server) Client() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: s.Addr})
}

// Kill stops the server with SIGKILL (a crash: nothing is saved or
// handed over) and waits for it to exit.
func (s *Server) Kill() {
	if s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
}

// Stop terminates the server and waits for it to exit.
func (s *Server) Stop() {
	if s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Process.Signal(syscall.SIGCONT) // a paused server takes the signal now
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// launch retries a few times because the free port we picked may be taken
// by someone else before redis-server binds it.
func launch(bin string, tieToProcess bool) (*Server, error) {
	var last error
	for try := 0; try < 5; try++ {
		s, err := launchOnce(bin, tieToProcess)
		if err == nil {
			return s, nil
		}
		last = err
	}
	return nil, last
}

func launchOnce(bin string, tieToProcess bool) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	return startServer(bin, tieToProcess, port, serverArgs(port, "--databases", strconv.Itoa(databases)))
}

// serverArgs run redis-server on 127.0.0.1:port without persistence.
func serverArgs(port int, extra ...string) []string {
	return append([]string{
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--daemonize", "no",
		"--loglevel", "warning",
	}, extra...)
}

// startServer runs redis-server with args and waits until 127.0.0.1:port
// answers PING.
func startServer(bin string, tieToProcess bool, port int, args []string) (*Server, error) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if tieToProcess {
		// Pdeathsig fires when the creating OS thread exits; pinning the
		// goroutine keeps fork on a thread the runtime will not retire
		// (threads only exit when a locked goroutine exits while locked).
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	var out limitedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{Addr: addr, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.done) }()

	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return s, nil
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("redis-server on %s exited: %s", addr, out.String())
		default:
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, errors.Join(fmt.Errorf("redis-server on %s did not answer PING within %v", addr, startTimeout), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// limitedBuffer keeps the first few KiB of the server's output for error
// messages without growing unbounded.
type limitedBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := 8192 - len(b.buf); room > 0 {
		if len(p) < room {
			room = len(p)
		}
		b.buf = append(b.buf, p[:room]...)
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
