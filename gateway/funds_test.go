package gateway_test

import (
	"context"
	"testing"
	"time"

	"partnergraph/gateway"
)

func TestFundsFloatBoundary(t *testing.T) {
	url := upstream(t, 200, `{"account_balances":[{"account_id":"a","account_type":1,"amount":1234.5649999,"currency":"CNY","measure_id":1,"designated_amount":0.1}]}`, 0)
	fs, err := MustClient(t, url, time.Second).Funds(context.Background(), gateway.Scope{Account: "p1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := fs[0].Amount.Amount.String(); got != "1234.56" {
		t.Errorf("amount: got %s, want 1234.56", got)
	}
	if got := fs[0].DesignatedAmount.Amount.String(); got != "0.1" {
		t.Errorf("designated: got %s, want 0.1", got)
	}
}
