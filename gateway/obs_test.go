package gateway_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"partnergraph/apierr"
	"partnergraph/gateway"
)

func put(t *testing.T, u gateway.Upload, contentType string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(u.Method, u.URL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A presigned upload goes to the bucket of the partner that signs the
// scope's real-name calls (a reseller's own for its customers), with the
// signed Content-Type only; what was uploaded is then read back (HEAD).
func TestUploadURL(t *testing.T) {
	e := newSandboxEnv(t)
	ctx := context.Background()
	var reseller string
	for _, p := range e.m.Partners {
		if p.Kind == "tier2" {
			reseller = p.ID
			break
		}
	}
	for name, s := range map[string]gateway.Scope{"Provider": {Account: e.provider.ID}, "Reseller": {Account: e.tier1.ID, Indirect: reseller}} {
		t.Run(name, func(t *testing.T) {
			u, err := e.c.UploadURL(s, "cust-1", ".JPG")
			if err != nil {
				t.Fatal(err)
			}
			bucket := ""
			for _, p := range e.m.Partners {
				if p.ID == s.PartnerID() {
					bucket = p.OBS.Bucket
				}
			}
			if u.Method != "PUT" || u.Headers["Content-Type"] != "image/jpeg" || !strings.HasPrefix(u.Attachment, "realname/cust-1/") ||
				!strings.HasSuffix(u.Attachment, ".jpg") || !strings.Contains(u.URL, "/"+bucket+"/download/realname/cust-1/") ||
				time.Until(u.ExpiresAt) > gateway.UploadTTL || time.Until(u.ExpiresAt) < gateway.UploadTTL-time.Minute {
				t.Fatalf("upload %+v", u)
			}
			if _, err := e.c.AttachmentInfo(ctx, s, u.Attachment); apierr.ErrorCode(err) != apierr.CodeNotFound {
				t.Fatalf("before the upload: %v", err)
			}
			if status, body := put(t, u, "application/pdf", []byte("%PDF")); status != 403 || !strings.Contains(body, "SignatureDoesNotMatch") {
				t.Fatalf("another content type: %d %s", status, body)
			}
			photo := []byte("\xff\xd8\xff\xe0 a face")
			if status, body := put(t, u, "image/jpeg", photo); status != 200 {
				t.Fatalf("upload: %d %s", status, body)
			}
			a, err := e.c.AttachmentInfo(ctx, s, u.Attachment)
			if err != nil || a.Size != int64(len(photo)) || a.ContentType != "image/jpeg" {
				t.Fatalf("uploaded: %+v %v", a, err)
			}
		})
	}
	t.Run("Refused", func(t *testing.T) {
		if _, err := e.c.UploadURL(gateway.Scope{Account: e.provider.ID}, "c", ".exe"); apierr.ErrorCode(err) != apierr.CodeBadUserInput {
			t.Fatalf(".exe: %v", err)
		}
	})
}

// Without a bucket configured there are no uploads (FORBIDDEN) and
// HasBucket says so; a bucket needs its endpoint and name together.
func TestNoBucket(t *testing.T) {
	c, err := gateway.New(gateway.Config{Endpoint: "http://127.0.0.1:1", Accounts: []gateway.Account{{ID: "p1", AK: "ak", SK: "sk"}}})
	if err != nil {
		t.Fatal(err)
	}
	s := gateway.Scope{Account: "p1"}
	if _, err := c.UploadURL(s, "c", ".png"); apierr.ErrorCode(err) != apierr.CodeForbidden || c.HasBucket(s) {
		t.Fatalf("got %v", err)
	}
	_, err = gateway.New(gateway.Config{Endpoint: "http://127.0.0.1:1", Accounts: []gateway.Account{{ID: "p1", AK: "ak", SK: "sk", OBS: gateway.Bucket{Name: "b"}}}})
	if err == nil {
		t.Fatal("a bucket without an endpoint was accepted")
	}
}

// Region lists are read once for the whole gateway: again, or by many
// requests at once, they cost no further call.
func TestRegionsCached(t *testing.T) {
	e := newSandboxEnv(t)
	ctx := context.Background()
	s := gateway.Scope{Account: e.provider.ID}
	e.sb.ResetStats()
	ps, err := e.c.Provinces(ctx, s)
	if err != nil || len(ps) == 0 {
		t.Fatalf("%v %v", ps, err)
	}
	if _, err := e.c.Provinces(ctx, gateway.Scope{Account: e.tier1.ID}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if cs, err := e.c.Cities(ctx, s, "440000"); err != nil || len(cs) != 4 {
				t.Errorf("cities %v %v", cs, err)
			}
		})
	}
	wg.Wait()
	ks, err := e.c.Counties(ctx, s, "440300")
	if err != nil || len(ks) != 4 || ks[0].Code != "440304" {
		t.Fatalf("counties %v %v", ks, err)
	}
	if _, err := e.c.Counties(ctx, s, "440300"); err != nil {
		t.Fatal(err)
	}
	got := e.sb.Stats()
	if got["ListProvinces"] != 1 || got["ListCities"] != 1 || got["ListCounties"] != 1 {
		t.Fatalf("calls %v", got)
	}
}
