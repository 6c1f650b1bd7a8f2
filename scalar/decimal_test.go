package scalar_test

import (
	"bytes"
	"testing"

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
	for in, want := range map[any]string{"12.34": "12.34", 7: "7", int64(9): "9"} {
		d, err := scalar.UnmarshalDecimal(in)
		if err != nil || d.String() != want {
			t.Errorf("unmarshal %v: got %s, %v", in, d, err)
		}
	}
	for _, in := range []any{"abc", 1.5, true, nil} {
		if _, err := scalar.UnmarshalDecimal(in); apierr.ErrorCode(err) != apierr.CodeBadUserInput {
			t.Errorf("unmarshal %v: got %v, want BAD_USER_INPUT", in, err)
		}
	}
}
