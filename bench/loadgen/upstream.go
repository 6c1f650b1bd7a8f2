package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// The upstream operations of a W1 full page (sandbox routes; the bodies
// are those the gateway's SDK sends, gateway/ops.go).
const (
	pathListSubCustomers   = "/v2/partners/sub-customers/query"
	pathCustomerBalances   = "/v2/accounts/customer-accounts/balances/batch-query"
	pathSubCustomerNewTags = "/v2/partners/sub-customers/new-customers-tags/batch-query"
)

// upstreamPath is the W1 full page's upstream critical path done directly
// against the sandbox, as the gateway schedules it: ListSubCustomers, then
// ListCustomersBalancesDetail and ListSubCustomerNewTag side by side. Its
// latency is list + max(balance, tag), with the configured latency, the
// sandbox's work and loopback HTTP included; the gateway's own work is not.
type upstreamPath struct {
	endpoint, ak, sk string
	first            int
}

func (u *upstreamPath) page(ctx context.Context, w *worker, i int) error {
	var list struct {
		CustomerInfos []struct {
			CustomerID string `json:"customer_id"`
		} `json:"customer_infos"`
	}
	offset := i % pages * u.first
	if err := u.call(ctx, w.client, pathListSubCustomers, map[string]any{"offset": offset, "limit": u.first}, &list); err != nil {
		return err
	}
	ids := make([]string, len(list.CustomerInfos))
	infos := make([]map[string]string, len(list.CustomerInfos))
	for k, c := range list.CustomerInfos {
		ids[k] = c.CustomerID
		infos[k] = map[string]string{"customer_id": c.CustomerID}
	}
	if len(ids) == 0 {
		return fmt.Errorf("ListSubCustomers at offset %d: no customers", offset)
	}
	tagErr := make(chan error, 1)
	go func() {
		tagErr <- u.call(ctx, w.client, pathSubCustomerNewTags, map[string]any{"customer_ids": ids, "offset": 0, "limit": 200}, nil)
	}()
	err := u.call(ctx, w.client, pathCustomerBalances, map[string]any{"customer_infos": infos}, nil)
	if err2 := <-tagErr; err == nil {
		err = err2
	}
	return err
}

// call POSTs a signed JSON request and decodes the answer into out (unless nil).
func (u *upstreamPath) call(ctx context.Context, c *http.Client, path string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.endpoint+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	sign(req, b, u.ak, u.sk, time.Now())
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d: %.300s", path, resp.StatusCode, buf.Bytes())
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(buf.Bytes(), out)
}

// sign adds the SDK-HMAC-SHA256 signature of a request with an empty query
// string, signing X-Sdk-Date only (Huawei's API gateway signing: canonical
// request, string to sign, HMAC with the SK).
func sign(req *http.Request, body []byte, ak, sk string, now time.Time) {
	date := now.UTC().Format("20060102T150405Z")
	req.Header.Set("X-Sdk-Date", date)
	uri := req.URL.EscapedPath()
	if !strings.HasSuffix(uri, "/") {
		uri += "/"
	}
	payload := sha256.Sum256(body)
	canonical := req.Method + "\n" + uri + "\n\nx-sdk-date:" + date + "\n\nx-sdk-date\n" + hex.EncodeToString(payload[:])
	crHash := sha256.Sum256([]byte(canonical))
	mac := hmac.New(sha256.New, []byte(sk))
	mac.Write([]byte("SDK-HMAC-SHA256\n" + date + "\n" + hex.EncodeToString(crHash[:])))
	req.Header.Set("Authorization", "SDK-HMAC-SHA256 Access="+ak+", SignedHeaders=x-sdk-date, Signature="+hex.EncodeToString(mac.Sum(nil)))
}
