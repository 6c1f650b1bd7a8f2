package notify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var testMsg = Message{
	Channel:   Email,
	To:        "alice@example.com",
	Subject:   "partnergraph verification code — allocate funds",
	Text:      "Your code is 493817.\nIt approves: allocate 100.00 CNY to customer c-42.",
	Operation: "allocateFunds",
	Summary:   "allocate 100.00 CNY to customer c-42",
}

// aiosmtpdPython finds a python3 that can import aiosmtpd (Debian's
// python3-aiosmtpd lives under /usr/bin/python3, which may not be first on
// PATH).
func aiosmtpdPython(t *testing.T) string {
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import aiosmtpd").Run() == nil {
			return p
		}
	}
	msg := "python3 with aiosmtpd not found (apt-get install -y python3-aiosmtpd)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg + "; skipping because CI is unset")
	return ""
}

// startSMTPServer runs a real aiosmtpd on loopback delivering to a maildir.
func startSMTPServer(t *testing.T, extra ...string) (addr, maildir string) {
	py := aiosmtpdPython(t)
	maildir = filepath.Join(t.TempDir(), "maildir")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	args := append([]string{"-m", "aiosmtpd", "-n", "-l", addr}, extra...)
	args = append(args, "-c", "aiosmtpd.handlers.Mailbox", maildir)
	cmd := exec.Command(py, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var out strings.Builder
	var mu sync.Mutex
	cmd.Stdout = writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(p) })
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return addr, maildir
		}
		select {
		case <-done:
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("aiosmtpd exited: %s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("aiosmtpd did not listen on %s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestSMTPDeliversToRealServer(t *testing.T) {
	addr, maildir := startSMTPServer(t)
	s := &SMTP{Addr: addr, From: "partnergraph <noreply@partnergraph.test>", StartTLS: StartTLSOpportunistic, Timeout: 10 * time.Second}
	if err := s.Send(context.Background(), testMsg); err != nil {
		t.Fatal(err)
	}
	checkDelivered(t, waitMail(t, maildir))
}

func waitMail(t *testing.T, maildir string) []string {
	var files []string
	for deadline := time.Now().Add(5 * time.Second); ; {
		files, _ = filepath.Glob(filepath.Join(maildir, "new", "*"))
		if len(files) > 0 || time.Now().After(deadline) {
			return files
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func checkDelivered(t *testing.T, files []string) {
	t.Helper()
	if len(files) != 1 {
		t.Fatalf("want 1 delivered mail, found %d", len(files))
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	msg, err := mail.ReadMessage(f)
	if err != nil {
		t.Fatal(err)
	}
	subj, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subj != testMsg.Subject {
		t.Fatalf("subject %q (%v), want %q", subj, err, testMsg.Subject)
	}
	to, err := mail.ParseAddress(msg.Header.Get("To"))
	if err != nil || to.Address != testMsg.To {
		t.Fatalf("to %v (%v)", msg.Header.Get("To"), err)
	}
	if got := msg.Header.Get("X-Partnergraph-Operation"); got != "allocateFunds" {
		t.Fatalf("operation header %q", got)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.ReplaceAll(strings.TrimSpace(string(body)), "\r\n", "\n"); got != testMsg.Text {
		t.Fatalf("body %q, want %q", got, testMsg.Text)
	}
}

func TestSMTPPolicyAndValidation(t *testing.T) {
	addr, _ := startSMTPServer(t)
	ctx := context.Background()
	// aiosmtpd without a TLS context offers no STARTTLS.
	err := (&SMTP{Addr: addr, From: "noreply@partnergraph.test", StartTLS: StartTLSRequired}).Send(ctx, testMsg)
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("required STARTTLS not enforced: %v", err)
	}
	sms := testMsg
	sms.Channel = SMS
	if err := (&SMTP{Addr: addr, From: "noreply@partnergraph.test"}).Send(ctx, sms); err == nil {
		t.Fatal("SMTP accepted an SMS message")
	}
	bad := testMsg
	bad.Subject = "x\r\nBcc: evil@example.com"
	if err := (&SMTP{Addr: addr, From: "noreply@partnergraph.test"}).Send(ctx, bad); err == nil {
		t.Fatal("header injection accepted")
	}
}

func TestSMTPTimeout(t *testing.T) {
	// A listener that accepts but never greets.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	start := time.Now()
	err = (&SMTP{Addr: l.Addr().String(), From: "noreply@partnergraph.test", Timeout: 300 * time.Millisecond}).Send(context.Background(), testMsg)
	if err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("timeout not enforced: err=%v after %v", err, time.Since(start))
	}
}

func webhookReceiver(t *testing.T, secret []byte, got chan<- wire, status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("bad request %s %s", r.Method, r.Header.Get("Content-Type"))
		}
		if !VerifySignature(secret, r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), body, time.Now(), 5*time.Minute) {
			t.Errorf("signature does not verify")
		}
		var m wire
		if err := json.Unmarshal(body, &m); err != nil {
			t.Errorf("body: %v", err)
		}
		got <- m
		w.WriteHeader(status)
	}
}

func TestWebhookHTTPAndHTTPS(t *testing.T) {
	secret := []byte("whsec-test")
	for _, tlsOn := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", tlsOn), func(t *testing.T) {
			got := make(chan wire, 1)
			h := webhookReceiver(t, secret, got, http.StatusAccepted)
			var srv *httptest.Server
			if tlsOn {
				srv = httptest.NewTLSServer(h)
			} else {
				srv = httptest.NewServer(h)
			}
			defer srv.Close()
			wh := &Webhook{URL: srv.URL, Secret: secret, Client: srv.Client()}
			m := testMsg
			m.Channel, m.To = SMS, "0086-13812341234"
			if err := wh.Send(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			w := <-got
			if w.Channel != SMS || w.To != m.To || w.Text != m.Text || w.Operation != m.Operation || w.Summary != m.Summary || w.SentAt.IsZero() {
				t.Fatalf("received %+v", w)
			}
		})
	}
}

func TestWebhookErrors(t *testing.T) {
	secret := []byte("whsec-test")
	got := make(chan wire, 1)
	srv := httptest.NewServer(webhookReceiver(t, secret, got, http.StatusInternalServerError))
	defer srv.Close()
	err := (&Webhook{URL: srv.URL, Secret: secret}).Send(context.Background(), testMsg)
	if err == nil || strings.Contains(err.Error(), "493817") {
		t.Fatalf("non-2xx: %v", err)
	}
	<-got

	// TLS server with an untrusted certificate and the default client fails.
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer tlsSrv.Close()
	if err := (&Webhook{URL: tlsSrv.URL, Secret: secret}).Send(context.Background(), testMsg); err == nil {
		t.Fatal("untrusted certificate accepted")
	}

	// Redirects are not followed.
	redir := httptest.NewServer(http.RedirectHandler("http://127.0.0.1:1/steal", http.StatusTemporaryRedirect))
	defer redir.Close()
	if err := (&Webhook{URL: redir.URL, Secret: secret}).Send(context.Background(), testMsg); err == nil {
		t.Fatal("redirect treated as success")
	}

	// Bounded timeout.
	block := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-block }))
	defer slow.Close()
	defer close(block)
	start := time.Now()
	if err := (&Webhook{URL: slow.URL, Secret: secret, Timeout: 200 * time.Millisecond}).Send(context.Background(), testMsg); err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("timeout: %v after %v", err, time.Since(start))
	}
	if err := (&Webhook{URL: slow.URL}).Send(context.Background(), testMsg); err == nil {
		t.Fatal("empty secret accepted")
	}
}

func TestVerifySignatureRejects(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	body := []byte(`{"a":1}`)
	sig := Sign([]byte("k"), ts, body)
	if !VerifySignature([]byte("k"), ts, sig, body, now, time.Minute) {
		t.Fatal("valid signature rejected")
	}
	if VerifySignature([]byte("other"), ts, sig, body, now, time.Minute) ||
		VerifySignature([]byte("k"), ts, sig, []byte(`{"a":2}`), now, time.Minute) ||
		VerifySignature([]byte("k"), ts, sig, body, now.Add(time.Hour), time.Minute) {
		t.Fatal("bad signature accepted")
	}
}

func TestOutbox(t *testing.T) {
	o := NewOutbox(3)
	for i := 0; i < 5; i++ {
		m := testMsg
		m.To = fmt.Sprintf("u%d@example.com", i%2)
		m.Subject = fmt.Sprint(i)
		_ = o.Send(context.Background(), m)
	}
	srv := httptest.NewServer(o.Handler())
	defer srv.Close()
	get := func(q string) []wire {
		resp, err := http.Get(srv.URL + q)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct{ Messages []wire }
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		return body.Messages
	}
	all := get("/")
	if len(all) != 3 || all[0].Subject != "4" || all[2].Subject != "2" || all[0].SentAt.IsZero() {
		t.Fatalf("ring/newest-first broken: %+v", all)
	}
	if f := get("/?to=u0@example.com"); len(f) != 2 || f[0].Subject != "4" || f[1].Subject != "2" {
		t.Fatalf("filter: %+v", f)
	}
	if f := get("/?limit=1"); len(f) != 1 {
		t.Fatalf("limit: %+v", f)
	}
	resp, err := http.Post(srv.URL, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST status %d", resp.StatusCode)
	}
	if ms := o.Messages("u1@example.com"); len(ms) != 1 || ms[0].Subject != "3" {
		t.Fatalf("Messages: %+v", ms)
	}
}

func TestRouterAndRedaction(t *testing.T) {
	o := NewOutbox(10)
	r := Router{SMS: o}
	if err := r.Send(context.Background(), testMsg); err == nil {
		t.Fatal("email routed without an email sender")
	}
	m := testMsg
	m.Channel = SMS
	if err := (Multi{r, o}).Send(context.Background(), m); err != nil || len(o.Messages("")) != 2 {
		t.Fatalf("multi: %v", err)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%v %+v %s %#v", testMsg, testMsg, testMsg, testMsg)
	slog.New(slog.NewJSONHandler(&sb, nil)).Info("send", "msg", testMsg)
	if strings.Contains(sb.String(), "493817") {
		t.Fatalf("code leaked: %s", sb.String())
	}
}

// selfSigned writes a certificate for 127.0.0.1 and returns the file paths
// and a pool trusting it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestSMTPStartTLSAndImplicitTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	t.Run("starttls", func(t *testing.T) {
		addr, maildir := startSMTPServer(t, "--tlscert", certFile, "--tlskey", keyFile)
		// An untrusted certificate is refused.
		if err := (&SMTP{Addr: addr, From: "noreply@partnergraph.test", StartTLS: StartTLSRequired}).Send(context.Background(), testMsg); err == nil {
			t.Fatal("untrusted certificate accepted")
		}
		s := &SMTP{Addr: addr, From: "noreply@partnergraph.test", StartTLS: StartTLSRequired, TLSConfig: &tls.Config{RootCAs: pool}}
		if err := s.Send(context.Background(), testMsg); err != nil {
			t.Fatal(err)
		}
		checkDelivered(t, waitMail(t, maildir))
	})
	t.Run("implicit", func(t *testing.T) {
		addr, maildir := startSMTPServer(t, "--smtpscert", certFile, "--smtpskey", keyFile)
		s := &SMTP{Addr: addr, From: "noreply@partnergraph.test", ImplicitTLS: true, TLSConfig: &tls.Config{RootCAs: pool}}
		if err := s.Send(context.Background(), testMsg); err != nil {
			t.Fatal(err)
		}
		checkDelivered(t, waitMail(t, maildir))
	})
}
