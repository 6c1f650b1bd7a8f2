package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// staticCmd is `loadgen static`: an HTTP server on a random loopback port
// that answers every request with the bytes read from stdin. It prints its
// URL and serves until it is stopped. It runs as its own process so that
// its CPU time can be read like the gateway's.
func staticCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("static", flag.ContinueOnError)
	contentType := fs.String("content-type", "application/json", "Content-Type of the answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	answer, err := io.ReadAll(os.Stdin)
	if err != nil {
		return err
	}
	length := strconv.Itoa(len(answer))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h := w.Header()
		h["Content-Type"] = []string{*contentType}
		h["Content-Length"] = []string{length}
		_, _ = w.Write(answer)
	})}
	fmt.Printf("http://%s\n", ln.Addr())
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// staticServer is a running `loadgen static` child process.
type staticServer struct {
	cmd *exec.Cmd
	url string
}

// startStatic starts this program as a static server answering answer.
// The child is killed if this process dies (Pdeathsig) and by stop.
func startStatic(answer []byte, contentType string) (*staticServer, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "static", "-content-type", contentType)
	cmd.Stdin = bytes.NewReader(answer)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &staticServer{cmd: cmd}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("static server: %w", err)
	}
	s.url = strings.TrimSpace(line)
	return s, nil
}

func (s *staticServer) pid() int { return s.cmd.Process.Pid }

func (s *staticServer) stop() {
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
}
