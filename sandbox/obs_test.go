package sandbox

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-obs/obs"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
)

// obsClient is Huawei's OBS SDK configured from the manifest.
func obsClient(t testing.TB, o ManifestOBS, configurers ...any) *obs.ObsClient {
	t.Helper()
	c, err := obs.New(o.AK, o.SK, o.Endpoint, obs.WithSignature(obs.SignatureV2), obs.WithPathStyle(o.PathStyle), obs.WithMaxRetryCount(0))
	if len(configurers) > 0 {
		c, err = obs.New(o.AK, o.SK, o.Endpoint, obs.WithSignature(obs.SignatureV4), obs.WithRegion("cn-north-4"), obs.WithPathStyle(o.PathStyle), obs.WithMaxRetryCount(0))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func signedURL(t testing.TB, c *obs.ObsClient, method obs.HttpMethodType, bucket, key string, expires int) string {
	t.Helper()
	out, err := c.CreateSignedUrl(&obs.CreateSignedUrlInput{Method: method, Bucket: bucket, Key: key, Expires: expires})
	if err != nil {
		t.Fatal(err)
	}
	return out.SignedUrl
}

// httpDo sends a plain net/http request and returns the status and body.
func httpDo(t testing.TB, method, u string, body []byte) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func wantOBSError(t testing.TB, status int, body string, wantStatus int, code string) {
	t.Helper()
	if status != wantStatus || !strings.Contains(body, "<Code>"+code+"</Code>") {
		t.Fatalf("got %d %s, want %d %s", status, body, wantStatus, code)
	}
}

// The contract: a PUT URL presigned by the OBS SDK, uploaded with plain
// net/http, is a file the real-name review accepts (bank-card route, SMS
// scene 18); a key never uploaded is refused; tampered and expired URLs are
// refused.
func TestOBSPresignedUploadAndRealname(t *testing.T) {
	f := realnameFixture(t)
	o := f.partner.OBS
	if o.Endpoint != f.srv.URL || o.Bucket == "" || o.AK != f.partner.AK || o.SK != f.partner.SK || !o.PathStyle {
		t.Fatalf("manifest obs %+v", o)
	}
	oc := obsClient(t, o)
	photo := []byte("\xff\xd8\xff\xe0 a face photo")
	put := signedURL(t, oc, obs.HttpMethodPut, o.Bucket, "download/faces/zhang wei.jpg", 300)
	if !strings.HasPrefix(put, f.srv.URL+"/"+o.Bucket+"/download/faces/") || !strings.Contains(put, "AWSAccessKeyId=") {
		t.Fatalf("signed url %s", put)
	}
	status, body, hdr := httpDo(t, http.MethodPut, put, photo)
	sum := md5.Sum(photo)
	if status != 200 || hdr.Get("ETag") != `"`+hex.EncodeToString(sum[:])+`"` {
		t.Fatalf("PUT: %d %s %v", status, body, hdr)
	}
	status, body, _ = httpDo(t, http.MethodGet, signedURL(t, oc, obs.HttpMethodGet, o.Bucket, "download/faces/zhang wei.jpg", 300), nil)
	if status != 200 || body != string(photo) {
		t.Fatalf("GET: %d %q", status, body)
	}
	if n := f.sb.Stats()["obs:PutObject"]; n != 1 {
		t.Fatalf("obs:PutObject calls %d", n)
	}

	// The bank-card authentication with that photo.
	mobile := "13800005678"
	if _, err := f.pc.SendVerificationMessageCode(&model.SendVerificationMessageCodeRequest{Body: &model.SendVerificationCodeV2Req{
		ReceiverType: 1, MobilePhone: mobile, Scene: ptr(int32(18)), CustomerId: &f.cust.ID}}); err != nil {
		t.Fatal(err)
	}
	codes := smsCodes(t, f.srv.URL)
	last := codes[len(codes)-1]
	if last.Scene != 18 || last.CustomerID != f.cust.ID || last.Mobile != "0086-"+mobile {
		t.Fatalf("sms %+v", last)
	}
	bank := func(files []string, code string) *model.CreatePersonalRealnameAuthRequest {
		return &model.CreatePersonalRealnameAuthRequest{Body: &model.ApplyIndividualRealnameAuthsReq{
			CustomerId: f.cust.ID, IdentifyType: 4, Name: "张伟", VerifiedNumber: "11010519491231002X", VerifiedFileUrl: files,
			XaccountType: "zhiyuan_IDP", BankCardInfo: &model.BankCardInfoV2{BankAccount: "6222-0200-1234-5678", Areacode: "0086", Mobile: mobile, VerificationCode: code},
		}}
	}
	// A key never uploaded is refused, and does not use the code up.
	_, err := f.pc.CreatePersonalRealnameAuth(bank([]string{"faces/li na.jpg"}, last.Code))
	wantErr(t, err, http.StatusBadRequest, "CBC.0100")
	_, err = f.pc.CreatePersonalRealnameAuth(bank([]string{"faces/zhang wei.jpg"}, "000000x"))
	wantErr(t, err, http.StatusBadRequest, "CBC.99004010")
	resp, err := f.pc.CreatePersonalRealnameAuth(bank([]string{"faces/zhang wei.jpg"}, last.Code))
	if err != nil || deref(resp.IsReview) != 1 {
		t.Fatalf("bank card submission: %+v %v", resp, err)
	}
	f.wantApproved(t, 0)

	// Tampered URLs: another key, a later expiry, a changed signature.
	u, _ := url.Parse(signedURL(t, oc, obs.HttpMethodPut, o.Bucket, "download/faces/a.jpg", 300))
	tampered := *u
	tampered.Path = strings.Replace(u.Path, "a.jpg", "b.jpg", 1)
	status, body, _ = httpDo(t, http.MethodPut, tampered.String(), photo)
	wantOBSError(t, status, body, 403, "SignatureDoesNotMatch")
	q := u.Query()
	q.Set("Expires", "9999999999")
	tampered = *u
	tampered.RawQuery = q.Encode()
	status, body, _ = httpDo(t, http.MethodPut, tampered.String(), photo)
	wantOBSError(t, status, body, 403, "SignatureDoesNotMatch")
	// A GET URL does not sign a PUT.
	status, body, _ = httpDo(t, http.MethodPut, signedURL(t, oc, obs.HttpMethodGet, o.Bucket, "download/faces/a.jpg", 300), photo)
	wantOBSError(t, status, body, 403, "SignatureDoesNotMatch")
	// Expired: a 60-second URL used two minutes later (sandbox clock).
	late := signedURL(t, oc, obs.HttpMethodPut, o.Bucket, "download/faces/late.jpg", 60)
	f.clock.Advance(2 * time.Minute)
	status, body, _ = httpDo(t, http.MethodPut, late, photo)
	wantOBSError(t, status, body, 403, "AccessDenied")
	if !strings.Contains(body, "expired") {
		t.Fatalf("expired: %s", body)
	}
	// None of them stored anything.
	f.locked(func(st *State) {
		b := st.buckets[o.Bucket]
		for _, k := range []string{"download/faces/a.jpg", "download/faces/b.jpg", "download/faces/late.jpg"} {
			if b.Objects[k] != nil {
				t.Errorf("%s stored", k)
			}
		}
	})
}

// V4 query signatures, the SDK's own PutObject (header signatures), and the
// bucket's access rules.
func TestOBSSignaturesAndAccess(t *testing.T) {
	f := newFixture(t, KindTier1)
	o := f.partner.OBS
	v4 := obsClient(t, o, "v4")
	put := signedURL(t, v4, obs.HttpMethodPut, o.Bucket, "download/v4/licence.png", 300)
	if !strings.Contains(put, "X-Amz-Signature=") {
		t.Fatalf("v4 url %s", put)
	}
	if status, body, _ := httpDo(t, http.MethodPut, put, []byte("png")); status != 200 {
		t.Fatalf("v4 PUT: %d %s", status, body)
	}
	u, _ := url.Parse(put)
	tampered := *u
	tampered.Path = strings.Replace(u.Path, "licence", "licenze", 1)
	status, body, _ := httpDo(t, http.MethodPut, tampered.String(), []byte("png"))
	wantOBSError(t, status, body, 403, "SignatureDoesNotMatch")
	short := signedURL(t, v4, obs.HttpMethodPut, o.Bucket, "download/v4/late.png", 30)
	f.clock.Advance(time.Minute)
	status, body, _ = httpDo(t, http.MethodPut, short, []byte("png"))
	wantOBSError(t, status, body, 403, "AccessDenied")
	f.clock.Advance(-time.Minute)

	// The SDK's own calls (Authorization header), V2 and V4.
	for name, c := range map[string]*obs.ObsClient{"v2": obsClient(t, o), "v4": v4} {
		key := "download/sdk/" + name + ".jpg"
		in := &obs.PutObjectInput{Body: strings.NewReader("jpeg " + name)}
		in.Bucket, in.Key = o.Bucket, key
		if _, err := c.PutObject(in); err != nil {
			t.Fatalf("%s PutObject: %v", name, err)
		}
		out, err := c.GetObject(&obs.GetObjectInput{GetObjectMetadataInput: obs.GetObjectMetadataInput{Bucket: o.Bucket, Key: key}})
		if err != nil {
			t.Fatalf("%s GetObject: %v", name, err)
		}
		got, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if string(got) != "jpeg "+name {
			t.Fatalf("%s GetObject: %q", name, got)
		}
	}

	// Someone else's keys, unknown keys, no signature, unknown object.
	other := partnerOf(f.m, KindProvider).OBS
	other.Bucket = o.Bucket
	status, body, _ = httpDo(t, http.MethodPut, signedURL(t, obsClient(t, other), obs.HttpMethodPut, o.Bucket, "download/x.jpg", 300), nil)
	wantOBSError(t, status, body, 403, "AccessDenied")
	nobody := o
	nobody.AK = "NOSUCHAKNOSUCHAK0000"
	status, body, _ = httpDo(t, http.MethodPut, signedURL(t, obsClient(t, nobody), obs.HttpMethodPut, o.Bucket, "download/x.jpg", 300), nil)
	wantOBSError(t, status, body, 403, "InvalidAccessKeyId")
	status, body, _ = httpDo(t, http.MethodPut, o.Endpoint+"/"+o.Bucket+"/download/x.jpg", nil)
	wantOBSError(t, status, body, 403, "AccessDenied")
	status, body, _ = httpDo(t, http.MethodGet, signedURL(t, obsClient(t, o), obs.HttpMethodGet, o.Bucket, "download/none.jpg", 300), nil)
	wantOBSError(t, status, body, 404, "NoSuchKey")
	// A seeded sample document is there; the API paths still route to BSS.
	status, _, _ = httpDo(t, http.MethodGet, signedURL(t, obsClient(t, o), obs.HttpMethodGet, o.Bucket, "download/id/front.jpg", 300), nil)
	if status != 200 {
		t.Fatalf("sample document: %d", status)
	}
	status, body, _ = httpDo(t, http.MethodGet, o.Endpoint+"/v2/no/such/api", nil)
	if status != 404 || !strings.Contains(body, "APIG.0101") {
		t.Fatalf("api path: %d %s", status, body)
	}
	// Each partner has its own bucket.
	seen := map[string]bool{}
	for _, p := range f.m.Partners {
		if seen[p.OBS.Bucket] || p.OBS.Endpoint != f.srv.URL {
			t.Fatalf("partner %s bucket %+v", p.Kind, p.OBS)
		}
		seen[p.OBS.Bucket] = true
	}
}

// Bank-card submissions: shape, SMS code and attachment checks.
func TestBankCardRealnameErrors(t *testing.T) {
	f := realnameFixture(t)
	mobile := "13900007777"
	send := func(customerID string) (string, error) {
		_, err := f.pc.SendVerificationMessageCode(&model.SendVerificationMessageCodeRequest{Body: &model.SendVerificationCodeV2Req{
			ReceiverType: 1, MobilePhone: mobile, Scene: ptr(int32(18)), CustomerId: &customerID}})
		if err != nil {
			return "", err
		}
		codes := smsCodes(t, f.srv.URL)
		return codes[len(codes)-1].Code, nil
	}
	other := showcaseOf(f.m, partnerOf(f.m, KindTier1).ID)
	_, err := send(other.ID)
	wantErr(t, err, http.StatusBadRequest, "CBC.99000035")
	code, err := send(f.cust.ID)
	if err != nil {
		t.Fatal(err)
	}
	req := func(mod func(r *model.ApplyIndividualRealnameAuthsReq)) error {
		r := &model.ApplyIndividualRealnameAuthsReq{
			CustomerId: f.cust.ID, IdentifyType: 4, Name: "李娜", VerifiedNumber: "11010519491231002X", VerifiedFileUrl: []string{"face/selfie.jpg"},
			XaccountType: "zhiyuan_IDP", BankCardInfo: &model.BankCardInfoV2{BankAccount: "6222020012345678", Areacode: "0086", Mobile: mobile, VerificationCode: code},
		}
		mod(r)
		_, err := f.pc.CreatePersonalRealnameAuth(&model.CreatePersonalRealnameAuthRequest{Body: r})
		return err
	}
	for name, mod := range map[string]func(r *model.ApplyIndividualRealnameAuthsReq){
		"no card":     func(r *model.ApplyIndividualRealnameAuthsReq) { r.BankCardInfo = nil },
		"bad account": func(r *model.ApplyIndividualRealnameAuthsReq) { r.BankCardInfo.BankAccount = "-62220200" },
		"no code":     func(r *model.ApplyIndividualRealnameAuthsReq) { r.BankCardInfo.VerificationCode = "" },
		"two photos": func(r *model.ApplyIndividualRealnameAuthsReq) {
			r.VerifiedFileUrl = []string{"face/selfie.jpg", "id/f.jpg"}
		},
		"pdf photo":     func(r *model.ApplyIndividualRealnameAuthsReq) { r.VerifiedFileUrl = []string{"id/holding.pdf"} },
		"short id":      func(r *model.ApplyIndividualRealnameAuthsReq) { r.VerifiedNumber = "E12345678" },
		"missing photo": func(r *model.ApplyIndividualRealnameAuthsReq) { r.VerifiedFileUrl = []string{"face/nobody.jpg"} },
	} {
		if err := req(mod); err == nil {
			t.Fatalf("%s accepted", name)
		} else if e := sdkErr(t, err); e.ErrorCode != "CBC.0100" {
			t.Fatalf("%s: %s", name, e.ErrorCode)
		}
	}
	wantErr(t, req(func(r *model.ApplyIndividualRealnameAuthsReq) { r.BankCardInfo.Mobile = "12" }), http.StatusBadRequest, "CBC.5017")
	// A code sent to another mobile does not match this one.
	wantErr(t, req(func(r *model.ApplyIndividualRealnameAuthsReq) { r.BankCardInfo.Mobile = "13900008888" }), http.StatusBadRequest, "CBC.99004010")
	// Expired code.
	f.clock.Advance(11 * time.Minute)
	wantErr(t, req(func(*model.ApplyIndividualRealnameAuthsReq) {}), http.StatusBadRequest, "CBC.99004008")
	f.clock.Advance(-11 * time.Minute)
	// Three failures lock the code.
	for i := 0; i < 3; i++ {
		wantErr(t, req(func(r *model.ApplyIndividualRealnameAuthsReq) { r.BankCardInfo.VerificationCode = "x" }), http.StatusBadRequest, "CBC.99004010")
	}
	wantErr(t, req(func(*model.ApplyIndividualRealnameAuthsReq) {}), http.StatusBadRequest, "CBC.99004009")
	// A fresh code passes; a wrong id checksum is rejected by the review.
	code, _ = send(f.cust.ID)
	if err := req(func(r *model.ApplyIndividualRealnameAuthsReq) { r.VerifiedNumber = "110105194912310021" }); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(2 * time.Minute)
	if r, op := f.review(t); r != 1 || op != "证件号码校验失败" {
		t.Fatalf("review %d %q", r, op)
	}
}
