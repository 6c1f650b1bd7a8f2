package gateway

import (
	"reflect"
	"strconv"
	"testing"
)

// convert keeps the lists' nil-when-empty shape: a list the upstream sent
// without rows, or not at all, converts to nil.
func TestConvert(t *testing.T) {
	for name, tc := range map[string]struct {
		rows *[]int
		want []string
	}{
		"Absent": {nil, nil},
		"Empty":  {&[]int{}, nil},
		"Rows":   {&[]int{1, 2}, []string{"1", "2"}},
	} {
		if got := convert(tc.rows, strconv.Itoa); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %#v, want %#v", name, got, tc.want)
		}
	}
}
