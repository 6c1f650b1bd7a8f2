package scalar_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"partnergraph/apierr"
	"partnergraph/scalar"
)

func TestDecimal(t *testing.T) {
	var b bytes.Buffer
	scalar.MarshalDecimal(decimal.RequireFromString("1024.50")).MarshalGQL(&b)
	if b.String() != `"1024.5"` {
		t.Errorf("marshal: got %s", b.String())
	}
	for in, want := range map[any]string{"12.34": "12.34", "0.5": "0.5", "-3": "-3", "9999999999.99": "9999999999.99", 7: "7", int64(9): "9", json.Number("42"): "42"} {
		d, err := scalar.UnmarshalDecimal(in)
		if err != nil || d.String() != want {
			t.Errorf("unmarshal %v: got %s, %v", in, d, err)
		}
	}
	hostile := []any{"abc", 1.5, true, nil, "", "-", ".5", "5.", "1e3", "1e3000000", "1E400", "0x10", " 1", "1 ", "+1", "1.2.3", "1.234",
		"99999999999999999999.99", "10000000000", json.Number("1e400"), json.Number("12.5"), strings.Repeat("9", 1<<20)}
	for _, in := range hostile {
		start := time.Now()
		_, err := scalar.UnmarshalDecimal(in)
		if apierr.ErrorCode(err) != apierr.CodeBadUserInput {
			t.Errorf("unmarshal %.20v: got %v, want BAD_USER_INPUT", in, err)
		}
		if s, _ := in.(string); err != nil && strings.Contains(err.Error(), s) && len(s) > 8 {
			t.Errorf("the error echoes the input: %.60s", err)
		}
		if d := time.Since(start); d > 10*time.Millisecond {
			t.Errorf("unmarshal %.20v took %s", in, d)
		}
	}
}

// A hostile number costs microseconds: the shape is checked before parsing.
func BenchmarkHostileDecimal(b *testing.B) {
	in := "1e3000000"
	for b.Loop() {
		_, _ = scalar.UnmarshalDecimal(in)
	}
}

func TestString(t *testing.T) {
	if s, err := scalar.UnmarshalString("key-1"); err != nil || s != "key-1" {
		t.Fatalf("%q %v", s, err)
	}
	for _, in := range []any{123, int64(1), 1.5, json.Number("123"), true} {
		if _, err := scalar.UnmarshalString(in); apierr.ErrorCode(err) != apierr.CodeBadUserInput {
			t.Errorf("%v: got %v, want BAD_USER_INPUT", in, err)
		}
	}
}
