// Package crash proves that money mutations apply exactly once per
// idempotency key across crashes and gateway instances, with real
// processes: the built partnergraph binary in live mode, a standalone
// sandbox process as the upstream, a private redis-server shared by every
// gateway instance, and an SMS webhook receiver in the test for the
// verification codes. Gateways are killed with SIGKILL at points made
// deterministic by sandbox fault rules (a delayed SDK operation, the kill
// landing inside the delay once the operation reached the sandbox), then
// restarted on the same Redis while the client retries with the same key.
// After each scenario the sandbox's records are the judge. bench/crash.sh
// runs the suite and prints its table.
package crash

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"partnergraph/internal/testredis"
)

// proc is a process the test started; t.Cleanup stops it by PID.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string // its stderr (and stdout, unless redirected)
	done chan struct{}
}

// startProc starts bin with args; stdout goes to stdoutPath when set, else
// with stderr to the log. The process dies with the test binary
// (Pdeathsig) and is killed at the end of the test.
func startProc(tb testing.TB, name, dir, bin string, args, env []string, stdoutPath string) *proc {
	tb.Helper()
	logPath := filepath.Join(dir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		tb.Fatal(err)
	}
	defer logf.Close()
	out := logf
	if stdoutPath != "" {
		f, err := os.Create(stdoutPath)
		if err != nil {
			tb.Fatal(err)
		}
		defer f.Close()
		out = f
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = out, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	// Pdeathsig fires when the forking OS thread exits: fork from a locked
	// thread that the runtime does not retire (as internal/testredis does).
	runtime.LockOSThread()
	err = cmd.Start()
	runtime.UnlockOSThread()
	if err != nil {
		tb.Fatalf("start %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	tb.Cleanup(p.kill)
	return p
}

// kill sends SIGKILL to the process's PID and waits for it to exit.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// signal sends sig to the process's PID.
func (p *proc) signal(tb testing.TB, sig syscall.Signal) {
	tb.Helper()
	if err := syscall.Kill(p.cmd.Process.Pid, sig); err != nil {
		tb.Fatalf("%s: %v: %v", p.name, sig, err)
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// tail is the end of the process's log, for failure messages.
func (p *proc) tail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

// await polls check every 20 ms until it succeeds, the process exits or
// timeout passes.
func (p *proc) await(tb testing.TB, timeout time.Duration, what string, check func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !check() {
		if p.exited() || time.Now().After(deadline) {
			tb.Fatalf("%s: %s did not happen within %s; the end of its log:\n%s", p.name, what, timeout, p.tail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// binary builds partnergraph from the module root above the working
// directory into dir.
func binary(tb testing.TB, dir string) string {
	tb.Helper()
	root, err := moduleRoot()
	if err != nil {
		tb.Fatal(err)
	}
	bin := filepath.Join(dir, "partnergraph")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out.String())
	}
	return bin
}

// startRedis starts a private redis-server on a free loopback port (no
// persistence) and returns its address. Without redis-server the test is
// skipped, except under CI.
func startRedis(tb testing.TB, dir string) string {
	tb.Helper()
	bin, err := testredis.Binary()
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("redis-server not found: %v", err)
		}
		tb.Skipf("redis-server not found (apt-get install redis-server): %v", err)
	}
	for try := range 5 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		addr := ln.Addr().String()
		_ = ln.Close()
		_, port, _ := net.SplitHostPort(addr)
		p := startProc(tb, fmt.Sprintf("redis-%d", try), dir, bin,
			[]string{"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--databases", "64"}, baseEnv(), "")
		// The server that answers must be ours: another process may have
		// taken the port between the probe and redis-server's bind.
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !p.exited(); time.Sleep(20 * time.Millisecond) {
			if redisPID(addr) == p.cmd.Process.Pid {
				return addr
			}
		}
		p.kill()
	}
	tb.Fatal("redis-server did not start")
	return ""
}

// redisPID is the process id of the Redis server at addr (0: none
// answered).
func redisPID(addr string) int {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return 0
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("INFO server\r\n")); err != nil {
		return 0
	}
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "process_id:"); ok {
			pid, _ := strconv.Atoi(v)
			return pid
		}
	}
	return 0
}

// moduleRoot is the nearest directory at or above the working directory
// holding the go.mod of module partnergraph.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(bytes.TrimSpace(b), []byte("module partnergraph")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod of module partnergraph above the working directory")
		}
		dir = parent
	}
}

// baseEnv is the environment of the started processes: the test's,
// without PARTNERGRAPH_* settings that would change what is tested.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PARTNERGRAPH_") && !strings.HasPrefix(kv, "GOGC=") {
			env = append(env, kv)
		}
	}
	return env
}

// manifest is the JSON line `partnergraph sandbox` prints.
type manifest struct {
	Endpoint    string `json:"endpoint"`
	IAMEndpoint string `json:"iam_endpoint"`
	Partners    []struct {
		Kind       string `json:"kind"`
		ID         string `json:"id"`
		AK         string `json:"ak"`
		SK         string `json:"sk"`
		AgencyName string `json:"agency_name"`
	} `json:"partners"`
	Customers []struct {
		ID              string `json:"id"`
		PartnerID       string `json:"partner_id"`
		AssociationType string `json:"association_type"`
	} `json:"customers"`
}

// startSandbox starts `partnergraph sandbox` on a loopback port and reads
// its manifest.
func startSandbox(tb testing.TB, dir, bin, name string) (*proc, *manifest) {
	tb.Helper()
	path := filepath.Join(dir, name+".json")
	p := startProc(tb, name, dir, bin, []string{"sandbox", "--listen", "127.0.0.1:0", "--customers", "60"}, baseEnv(), path)
	var m manifest
	p.await(tb, 30*time.Second, "the manifest line", func() bool {
		b, err := os.ReadFile(path)
		return err == nil && bytes.HasSuffix(b, []byte("\n")) && json.Unmarshal(b, &m) == nil && m.Endpoint != ""
	})
	return p, &m
}

var listening = regexp.MustCompile(`listening on (http://127\.0\.0\.1:[0-9]+)`)

// gatewayURL waits for the gateway's "listening on" line.
func gatewayURL(tb testing.TB, p *proc) string {
	tb.Helper()
	var url string
	p.await(tb, 30*time.Second, "listening", func() bool {
		f, err := os.Open(p.log)
		if err != nil {
			return false
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				url = m[1]
				return true
			}
		}
		return false
	})
	return url
}
