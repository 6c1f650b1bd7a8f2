package gateway

// OBS: the partners' buckets, where real-name attachments are uploaded.
// The real-name operations take verified_file_url as object keys relative
// to download/ in the bucket of the partner whose keys sign the submission
// (RealNameScope), so a client uploads there first: the gateway presigns a
// PUT of one object with Huawei's OBS SDK (huaweicloud-sdk-go-obs,
// CreateSignedUrl: no network call) and the client sends the file straight
// to OBS, never through the gateway. The URL is short-lived (UploadTTL),
// names an object key the gateway chose (realname/<customer>/<random>.<ext>
// under download/) and signs its Content-Type, so the upload must be of the
// file type asked for. OBS does not bound a presigned PUT's size: before a
// submission the gateway reads the object's metadata (one HEAD) and refuses
// an object that is missing, larger than MaxAttachmentSize or of another
// type.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-obs/obs"

	"partnergraph/apierr"
)

// Bucket is a partner's OBS bucket for real-name attachments.
type Bucket struct {
	// Endpoint is the OBS endpoint, e.g. https://obs.cn-north-4.myhuaweicloud.com.
	Endpoint string
	// Name is the bucket's name.
	Name string
	// AK and SK sign the bucket's requests; empty: the account's own keys
	// (at Huawei Cloud one account's keys sign both BSS and OBS calls).
	AK, SK string
	// PathStyle addresses the bucket as <endpoint>/<bucket>/<key> instead
	// of <bucket>.<endpoint host>/<key> (the SDK always does for an IP
	// address).
	PathStyle bool
}

// Attachment limits: the object keys the real-name operations read are
// under AttachmentPrefix; the upstream takes these file types and files of
// at most MaxAttachmentSize bytes; an upload URL works for UploadTTL.
const (
	AttachmentPrefix  = "download/"
	MaxAttachmentSize = 10 << 20
	UploadTTL         = 5 * time.Minute
)

// attachmentTypes are the file extensions the upstream accepts, with the
// Content-Type an upload of each must carry.
var attachmentTypes = map[string]string{
	".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".bmp": "image/bmp", ".png": "image/png", ".gif": "image/gif", ".pdf": "application/pdf",
}

// AttachmentContentType is the Content-Type of an attachment with extension
// ext (".jpg", …); ok is false for a type the upstream does not take.
func AttachmentContentType(ext string) (string, bool) {
	ct, ok := attachmentTypes[strings.ToLower(ext)]
	return ct, ok
}

// bucketClient is a partner's bucket and the OBS SDK client that signs for it.
type bucketClient struct {
	b  Bucket
	cl *obs.ObsClient
}

// addBucket builds the OBS client of a's bucket, when it has one.
func (c *Client) addBucket(a Account) error {
	b := a.OBS
	if b.Name == "" && b.Endpoint == "" {
		return nil
	}
	if b.Name == "" || b.Endpoint == "" {
		return fmt.Errorf("partner %s OBS bucket: endpoint and bucket name must both be set", a.ID)
	}
	if b.AK == "" && b.SK == "" {
		b.AK, b.SK = a.AK, a.SK
	}
	if b.AK == "" || b.SK == "" {
		return fmt.Errorf("partner %s OBS bucket: no keys to sign with", a.ID)
	}
	secs := int(c.cfg.CallTimeout/time.Second) + 1
	cl, err := obs.New(b.AK, b.SK, b.Endpoint, obs.WithPathStyle(b.PathStyle), obs.WithMaxRetryCount(0),
		obs.WithConnectTimeout(secs), obs.WithSocketTimeout(secs), obs.WithHeaderTimeout(secs))
	if err != nil {
		return fmt.Errorf("partner %s OBS client: %w", a.ID, err)
	}
	c.buckets[a.ID] = &bucketClient{b: b, cl: cl}
	return nil
}

// attachmentBucket is the bucket the real-name calls of scope s read their
// attachments from: the one of the partner that signs them.
func (c *Client) attachmentBucket(s Scope) (*bucketClient, error) {
	rs := c.RealNameScope(s)
	bc, ok := c.buckets[rs.Account]
	if !ok {
		return nil, apierr.Errorf(apierr.CodeForbidden, "no OBS bucket is configured for partner %s: uploads are not available", rs.Account)
	}
	return bc, nil
}

// HasBucket says whether the gateway reaches the bucket the real-name calls
// of s read their attachments from.
func (c *Client) HasBucket(s Scope) bool {
	_, ok := c.buckets[c.RealNameScope(s).Account]
	return ok
}

// Upload is a presigned upload of one attachment.
type Upload struct {
	URL    string
	Method string
	// Headers the upload must carry exactly (they are signed).
	Headers map[string]string
	// Attachment is the reference a real-name submission takes: the
	// object key relative to AttachmentPrefix.
	Attachment string
	ExpiresAt  time.Time
}

// UploadURL presigns a PUT of one attachment of customerID with extension
// ext (".jpg", …) to the bucket the real-name calls of s read from. It makes
// no network call.
func (c *Client) UploadURL(s Scope, customerID, ext string) (Upload, error) {
	ct, ok := AttachmentContentType(ext)
	if !ok {
		return Upload{}, apierr.Errorf(apierr.CodeBadUserInput, "the upstream takes jpg, jpeg, bmp, png, gif and pdf attachments only")
	}
	bc, err := c.attachmentBucket(s)
	if err != nil {
		return Upload{}, err
	}
	var rnd [16]byte
	_, _ = rand.Read(rnd[:])
	ref := "realname/" + customerID + "/" + hex.EncodeToString(rnd[:]) + strings.ToLower(ext)
	headers := map[string]string{"Content-Type": ct}
	now := time.Now()
	out, err := bc.cl.CreateSignedUrl(&obs.CreateSignedUrlInput{
		Method: obs.HttpMethodPut, Bucket: bc.b.Name, Key: AttachmentPrefix + ref, Expires: int(UploadTTL / time.Second), Headers: headers,
	})
	if err != nil {
		return Upload{}, &apierr.Error{Code: apierr.CodeInternal, Message: "internal error", Op: "obs:CreateSignedUrl", Err: err}
	}
	return Upload{URL: out.SignedUrl, Method: "PUT", Headers: headers, Attachment: ref, ExpiresAt: now.Add(UploadTTL)}, nil
}

// Attachment is what the bucket holds for an attachment reference.
type Attachment struct {
	Size        int64
	ContentType string
}

// AttachmentInfo reads the metadata of the attachment ref (relative to
// AttachmentPrefix) in the bucket the real-name calls of s read from (one
// HEAD, bounded by ctx and the call timeout); NOT_FOUND when it was never
// uploaded.
func (c *Client) AttachmentInfo(ctx context.Context, s Scope, ref string) (Attachment, error) {
	const op = "obs:HeadObject"
	bc, err := c.attachmentBucket(s)
	if err != nil {
		return Attachment{}, err
	}
	if err := ctx.Err(); err != nil {
		return Attachment{}, unavailable(op, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()
	type result struct {
		out *obs.GetObjectMetadataOutput
		err error
	}
	ch := make(chan result, 1)
	go func() {
		in := &obs.GetObjectMetadataInput{Bucket: bc.b.Name, Key: AttachmentPrefix + ref}
		out, err := bc.cl.GetObjectMetadata(in)
		ch <- result{out, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return Attachment{}, obsError(op, r.err)
		}
		return Attachment{Size: r.out.ContentLength, ContentType: r.out.ContentType}, nil
	case <-ctx.Done():
		return Attachment{}, unavailable(op, ctx.Err())
	}
}

// obsError sorts an OBS SDK error into our codes: a missing object is
// NOT_FOUND, throttling and 5xx are UPSTREAM_UNAVAILABLE, other refusals
// UPSTREAM_ERROR with OBS's code.
func obsError(op string, err error) *apierr.Error {
	var oe obs.ObsError
	var poe *obs.ObsError
	switch {
	case errors.As(err, &oe):
	case errors.As(err, &poe):
		oe = *poe
	default:
		return &apierr.Error{Code: apierr.CodeUpstreamUnavailable, Message: "the object storage could not be reached", Op: op, Err: err}
	}
	e := &apierr.Error{Code: apierr.CodeUpstreamError, Message: "the object storage refused the request", UpstreamCode: oe.Code, RequestID: oe.RequestId, Op: op, Err: err}
	switch {
	case oe.StatusCode == 404:
		e.Code, e.Message = apierr.CodeNotFound, "no such uploaded file"
	case oe.StatusCode == 429 || oe.StatusCode >= 500:
		e.Code, e.Message = apierr.CodeUpstreamUnavailable, "the object storage is unavailable"
	}
	return e
}
