package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// pages is how many distinct pages a W1/W5 row rotates over, so that no
// two requests in flight at 32 connections are identical.
const pages = 40

// The workloads' GraphQL documents (schema.graphqls).
const (
	// W1 "full"; "lean" drops newCustomerTag (the %s).
	customersQuery = `query($n:Int,$a:String){customers(first:$n,after:$a){edges{node{id name balance{available{amount currency} debt{amount}}%s}}}}`
	newCustomerTag = ` newCustomerTag{value}`

	// W2: a customer's order page, read by its partner through node(id:)
	// or by the customer itself through viewer.
	ordersPage = `orders(first:20){totalCount edges{node{` +
		`id orderId status type serviceTypeName createdAt officialAmount{amount currency} amountAfterDiscount{amount} ` +
		`couponAmount{amount} discountAmount{amount} ` +
		`lineItems{id productSpec periodType periodCount quantity officialAmount{amount}} ` +
		`availableCoupons{couponId cash balance{amount}} availableDiscounts{discountId discountType ratio amount{amount}}}}}`
	ordersQuery       = `query($id:ID!){node(id:$id){... on Customer{` + ordersPage + `}}}`
	viewerOrdersQuery = `{viewer{customer{` + ordersPage + `}}}`

	// W3: the tier-1's resellers with funds and coupon quotas.
	resellersQuery = `{resellers{edges{node{id name funds{accountType amount{amount}} couponQuotas{quotaId balance{amount}}}}}}`

	// W4: the guarded money mutation, in two steps.
	requestCodeMutation = `mutation($in:CustomerFundsInput!){requestVerificationCode(channel:SMS,operation:ALLOCATE_CUSTOMER_FUNDS,input:{allocateCustomerFunds:$in}){id}}`
	allocateMutation    = `mutation($in:CustomerFundsInput!,$key:String!,$v:VerificationInput){allocateCustomerFunds(input:$in,idempotencyKey:$key,verification:$v){transferId customerBalance{available{amount}}}}`

	// The showcase customer's global id is looked up by listing.
	customerIDsQuery = `query($a:String){customers(first:100,after:$a){pageInfo{hasNextPage endCursor} edges{node{id customerId}}}}`
)

// body is a GraphQL-over-HTTP request body.
func body(query string, vars map[string]any) []byte {
	b, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		panic(err) // strings, numbers and maps of them only
	}
	return b
}

// cursor is the gateway's opaque cursor of the item at offset (resolvers/ids.go).
func cursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(offset)))
}

// customerPages are the bodies of the rotating customers pages of size
// first: offsets 0, first, …, (pages-1)·first.
func customerPages(first int, full bool) [][]byte {
	tag := ""
	if full {
		tag = newCustomerTag
	}
	q := fmt.Sprintf(customersQuery, tag)
	out := make([][]byte, pages)
	for k := range out {
		var after any
		if k > 0 {
			after = cursor(k*first - 1)
		}
		out[k] = body(q, map[string]any{"n": first, "a": after})
	}
	return out
}

// post sends a GraphQL body and leaves the answer in w.buf and w.header. A
// status other than 200 or an answer with "errors" is an error.
func post(ctx context.Context, w *worker, url, token string, b []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	w.header = resp.Header
	w.buf.Reset()
	if _, err := w.buf.ReadFrom(resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, w.buf.Bytes())
	}
	if bytes.Contains(w.buf.Bytes(), []byte(`"errors":`)) {
		return fmt.Errorf("GraphQL errors: %.300s", w.buf.Bytes())
	}
	return nil
}

// postGraphQL is post for one-off requests, decoding data into v.
func postGraphQL(ctx context.Context, w *worker, url, token string, b []byte, v any) error {
	if err := post(ctx, w, url, token, b); err != nil {
		return err
	}
	var r struct{ Data json.RawMessage }
	if err := json.Unmarshal(w.buf.Bytes(), &r); err != nil {
		return fmt.Errorf("answer is not JSON: %w", err)
	}
	if len(r.Data) == 0 || string(r.Data) == "null" {
		return errors.New("answer has no data")
	}
	return json.Unmarshal(r.Data, v)
}

// postRotating is the op of a rotating workload: request i sends bodies[i%len].
func postRotating(url, token string, bodies [][]byte) op {
	return func(ctx context.Context, w *worker, i int) error {
		return post(ctx, w, url, token, bodies[i%len(bodies)])
	}
}
