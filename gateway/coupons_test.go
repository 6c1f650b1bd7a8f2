package gateway

import (
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
)

func TestBatchNeverSilentSuccess(t *testing.T) {
	details := []model.ErrorDetail{{Id: ptr("b"), ErrorCode: ptr("CBC.99000035"), ErrorMsg: ptr("not yours")}}
	got := batch([]string{"a", "b", "c"}, &details, func(id string) (ItemResult, bool) {
		return ItemResult{ID: id, OK: true, CreatedID: "C-" + id}, id == "a"
	})
	if len(got.Items) != 3 || !got.Items[0].OK || got.Items[1].OK || got.Items[1].ErrorCode != "CBC.99000035" || got.Items[2].OK || got.Items[2].ErrorCode != "UNKNOWN" {
		t.Fatalf("%+v", got.Items)
	}
}
