package sandbox

import (
	"archive/zip"
	"bytes"
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/osm/v2/model"
)

// OSM attachments (the SDK and the API spell them "accessorys"):
// ShowAccessoryLimits, UploadJsonAccessories (base64 in JSON),
// UploadAccessory (multipart: form_data JSON {"fileName","accessoryFrom",
// "uploadType"} then file; the name is form_data's fileName, else the file
// part's filename), DownloadAccessories (one id: the file; several ids
// separated by commas: a zip of them), DownloadImages (images only, inline),
// ShowDownloadAccessoryUrl and ListAccessoryAccessUrls (a URL valid for 5
// minutes that needs no credentials), DeleteAccessories (uploads not yet
// attached).
//
// Limits (ShowAccessoryLimits): at most 5 attachments per ticket or
// message, 4 MB each (non-empty), file types jpg, jpeg, bmp, png, gif, txt,
// zip, docx, msg, eml, xlsx, pdf, log, ini, mp4, mov (by extension), and
// 50 MB of uploads per account per day (UTC) → OSM.01010005; the other
// violations are OSM.01010001. An upload belongs to the uploading account
// and is attached by naming it in CreateCases (accessory_from "incident") or
// CreateMessages ("message"). Another account's accessory, or an unknown
// one, is OSM.01010001 "does not exist" (downloads answer that JSON with
// 200 too; the SDK hands any 2xx body over as the file).
//
// The download URL is the DownloadAccessories path of this sandbox with
// ?Expires=<unix seconds>&Signature=<hex HMAC>: served without
// authentication while valid, else 403 OSM.0003.

const (
	accessoryMaxCount   = 5
	accessoryMaxMB      = 4
	accessoryMaxBytes   = accessoryMaxMB << 20
	accessoryDailyBytes = 50 << 20
	accessoryFileTypes  = "jpg,jpeg,bmp,png,gif,txt,zip,docx,msg,eml,xlsx,pdf,log,ini,mp4,mov"
)

var accessoryContentTypes = map[string]string{
	"jpg": "image/jpeg", "jpeg": "image/jpeg", "bmp": "image/bmp", "png": "image/png", "gif": "image/gif",
	"txt": "text/plain; charset=utf-8", "log": "text/plain; charset=utf-8", "ini": "text/plain; charset=utf-8",
	"zip": "application/zip", "pdf": "application/pdf", "msg": "application/vnd.ms-outlook", "eml": "message/rfc822",
	"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"mp4":  "video/mp4", "mov": "video/quicktime",
}

func accessoryExt(name string) string {
	return strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
}

func isImage(name string) bool {
	return strings.HasPrefix(accessoryContentTypes[accessoryExt(name)], "image/")
}

func (s *Sandbox) showAccessoryLimits(c *call) (any, error) {
	return model.ShowAccessoryLimitsResponse{AccessoryLimit: &model.AccessoryLimitVo{
		LimitCount: ptr(strconv.Itoa(accessoryMaxCount)), LimitSize: ptr(strconv.Itoa(accessoryMaxMB)),
		LimitFileType: ptr(accessoryFileTypes),
	}}, nil
}

// checkUpload validates an upload's fields and size.
func checkUpload(name, from string, uploadType int32, size int) error {
	if err := checkLen("accessory_name", name, 512, true); err != nil {
		return err
	}
	if from != "incident" && from != "message" {
		return osmInvalid(`accessory_from must be "incident" or "message"`)
	}
	if uploadType != 0 && uploadType != 1 {
		return osmInvalid("upload_type must be 0 or 1")
	}
	if _, ok := accessoryContentTypes[accessoryExt(name)]; !ok {
		return osmInvalid("the file type of %s is not allowed (%s)", name, accessoryFileTypes)
	}
	if size == 0 {
		return osmInvalid("the file is empty")
	}
	if size > accessoryMaxBytes {
		return osmInvalid("the file is larger than %d MB", accessoryMaxMB)
	}
	return nil
}

// storeAccessory checks an upload of the caller (checkUpload, then the
// daily cap) and keeps it; it returns the accessory id.
func (s *Sandbox) storeAccessory(c *call, name, from string, uploadType int32, data []byte) (*string, error) {
	if err := checkUpload(name, from, uploadType, len(data)); err != nil {
		return nil, err
	}
	return withOSM(s, c, func(o *osmState, me osmIdentity, now time.Time) (*string, error) {
		day := now.Format("2006-01-02")
		u := o.uploads[me.OwnerID]
		if u == nil || u.day != day {
			u = &dailyUpload{day: day}
			o.uploads[me.OwnerID] = u
		}
		if u.bytes+int64(len(data)) > accessoryDailyBytes {
			return nil, osmFail("OSM.01010005")
		}
		u.bytes += int64(len(data))
		a := &Accessory{ID: randHex(s.state.rng, 16), OwnerID: me.OwnerID, Name: name, From: from, UploadType: uploadType, Data: data, Created: now}
		o.accessories[a.ID] = a
		return ptr(a.ID), nil
	})
}

func (s *Sandbox) uploadJSONAccessories(c *call) (any, error) {
	var req model.AccessoryJsonFormatReq
	if err := c.osmBody(&req); err != nil {
		return nil, err
	}
	data, err := base64.StdEncoding.DecodeString(req.AccessoryData)
	if err != nil {
		return nil, osmInvalid("accessory_data is not base64")
	}
	id, err := s.storeAccessory(c, req.AccessoryName, req.AccessoryFrom.Value(), valueOf(req.UploadType), data)
	if err != nil {
		return nil, err
	}
	return model.UploadJsonAccessoriesResponse{AccessoryId: id}, nil
}

// uploadForm is UploadAccessory's form_data part.
type uploadForm struct {
	FileName      string `json:"fileName"`
	AccessoryFrom string `json:"accessoryFrom"`
	UploadType    *int32 `json:"uploadType"`
}

func (s *Sandbox) uploadAccessory(c *call) (any, error) {
	mt, params, err := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, osmBad("the body must be multipart/form-data")
	}
	mr := multipart.NewReader(bytes.NewReader(c.body), params["boundary"])
	var form *uploadForm
	var data []byte
	fileName := ""
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, osmBad("invalid multipart body: %v", err)
		}
		b, err := io.ReadAll(io.LimitReader(p, accessoryMaxBytes+1))
		if err != nil {
			return nil, osmBad("invalid multipart body: %v", err)
		}
		switch p.FormName() {
		case "form_data":
			form = &uploadForm{}
			if err := json.Unmarshal(b, form); err != nil {
				return nil, osmInvalid("form_data must be JSON {\"fileName\",\"accessoryFrom\",\"uploadType\"}")
			}
		case "file":
			data, fileName = b, p.FileName()
		}
	}
	if form == nil {
		return nil, osmInvalid("the form_data part is required")
	}
	if data == nil {
		return nil, osmInvalid("the file part is required")
	}
	id, err := s.storeAccessory(c, orDefault(form.FileName, fileName), form.AccessoryFrom, valueOf(form.UploadType), data)
	if err != nil {
		return nil, err
	}
	return model.UploadAccessoryResponse{AccessoryId: id}, nil
}

// accessoryList is a message's attachments as the SDK models them.
func (o *osmState) accessoryList(m *TicketMessage) *[]model.SimpleAccessoryV2 {
	list := make([]model.SimpleAccessoryV2, 0, len(m.Accessories))
	for _, id := range m.Accessories {
		if a := o.accessories[id]; a != nil {
			list = append(list, model.SimpleAccessoryV2{AccessoryId: ptr(a.ID), FileActualName: ptr(a.Name)})
		}
	}
	return &list
}

// ownAccessory returns the caller's accessory id or OSM.01010001.
func (o *osmState) ownAccessory(me osmIdentity, id string) (*Accessory, error) {
	a := o.accessories[id]
	if a == nil || a.OwnerID != me.OwnerID {
		return nil, osmInvalid("accessory %s does not exist", id)
	}
	return a, nil
}

func fileResponse(a *Accessory, disposition string) rawBody {
	h := http.Header{}
	h.Set("Content-Type", accessoryContentTypes[accessoryExt(a.Name)])
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": a.Name}))
	return rawBody{Status: http.StatusOK, Header: h, Body: a.Data}
}

// downloadAccessories serves the caller's accessories: one id as the file,
// several (comma-separated, at most 20) as a zip; or one accessory by the
// signature of a URL from ShowDownloadAccessoryUrl.
func (s *Sandbox) downloadAccessories(c *call) (any, error) {
	q := c.r.URL.Query()
	if q.Has("Signature") || q.Has("Expires") {
		return s.signedDownload(c, q)
	}
	who, aerr := s.authenticate(c.r, c.body)
	if aerr != nil {
		return nil, aerr
	}
	c.who = who
	ids := strings.Split(c.params["accessory_id"], ",")
	if len(ids) > 20 {
		return nil, osmInvalid("at most 20 accessory ids")
	}
	// The lock covers the look-up: accessories' data never changes.
	files, err := withOSM(s, c, func(o *osmState, me osmIdentity, _ time.Time) ([]*Accessory, error) {
		files := make([]*Accessory, 0, len(ids))
		for _, id := range ids {
			a, err := o.ownAccessory(me, id)
			if err != nil {
				return nil, err
			}
			files = append(files, a)
		}
		return files, nil
	})
	if err != nil {
		return nil, err
	}
	if len(files) == 1 {
		return fileResponse(files[0], "attachment"), nil
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, a := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: a.Name, Method: zip.Deflate, Modified: a.Created})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(a.Data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "accessories.zip"}))
	return rawBody{Status: http.StatusOK, Header: h, Body: buf.Bytes()}, nil
}

func (s *Sandbox) signedDownload(c *call, q url.Values) (any, error) {
	denied := errf(http.StatusForbidden, "OSM.0003", "Forbidden: the download URL is invalid or has expired")
	exp, err := strconv.ParseInt(q.Get("Expires"), 10, 64)
	if err != nil {
		return nil, denied
	}
	st := s.state
	st.mu.Lock()
	o, now := st.osmNow()
	a := o.accessories[c.params["accessory_id"]]
	ok := a != nil && now.Unix() <= exp &&
		hmac.Equal([]byte(q.Get("Signature")), []byte(o.accessoryURLSignature(a.ID, a.OwnerID, exp)))
	st.mu.Unlock()
	if !ok {
		return nil, denied
	}
	return fileResponse(a, "attachment"), nil
}

func (s *Sandbox) downloadImages(c *call) (any, error) {
	a, err := withOSM(s, c, func(o *osmState, me osmIdentity, _ time.Time) (*Accessory, error) {
		return o.ownAccessory(me, c.params["accessory_id"])
	})
	if err != nil {
		return nil, err
	}
	if !isImage(a.Name) {
		return nil, osmInvalid("accessory %s is not an image", a.ID)
	}
	return fileResponse(a, "inline"), nil
}

// accessoryURL is the signed download URL of a, valid accessoryURLValid.
func (o *osmState) accessoryURL(c *call, a *Accessory, now time.Time) string {
	scheme := "http"
	if c.r.TLS != nil {
		scheme = "https"
	}
	exp := now.Add(accessoryURLValid).Unix()
	return fmt.Sprintf("%s://%s/v2/servicerequest/accessorys/%s?Expires=%d&Signature=%s",
		scheme, c.r.Host, url.PathEscape(a.ID), exp, o.accessoryURLSignature(a.ID, a.OwnerID, exp))
}

var relationTypes = map[string]bool{
	"DEFAULT": true, "NO_RELATION": true, "NOTIFICATION": true, "INCIDENT": true, "MESSAGE": true, "INSPECTION": true, "CONNECT": true,
}

func (s *Sandbox) showDownloadAccessoryURL(c *call) (any, error) {
	if !relationTypes[c.q("relation_type")] {
		return nil, osmInvalid("relation_type must be one of DEFAULT, NO_RELATION, NOTIFICATION, INCIDENT, MESSAGE, INSPECTION, CONNECT")
	}
	return withOSM(s, c, func(o *osmState, me osmIdentity, now time.Time) (any, error) {
		a, err := o.ownAccessory(me, c.params["accessory_id"])
		if err != nil {
			return nil, err
		}
		if id := c.q("incident_id"); id != "" && a.TicketID != id {
			return nil, osmInvalid("accessory %s is not attached to ticket %s", a.ID, id)
		}
		return model.ShowDownloadAccessoryUrlResponse{AccessoryUrl: ptr(o.accessoryURL(c, a, now))}, nil
	})
}

// listAccessoryAccessURLs returns URLs of the caller's accessories among
// accessory_ids (1–20); other ids are left out.
func (s *Sandbox) listAccessoryAccessURLs(c *call) (any, error) {
	ids := c.qs("accessory_ids")
	if len(ids) == 0 || len(ids) > 20 {
		return nil, osmInvalid("accessory_ids must have 1 to 20 ids")
	}
	return withOSM(s, c, func(o *osmState, me osmIdentity, now time.Time) (any, error) {
		list := []model.AccessoryUrl{}
		for _, id := range ids {
			if a, err := o.ownAccessory(me, id); err == nil {
				list = append(list, model.AccessoryUrl{AccessoryId: ptr(a.ID), AccessoryName: ptr(a.Name), AccessoryUrl: ptr(o.accessoryURL(c, a, now))})
			}
		}
		return model.ListAccessoryAccessUrlsResponse{AccessoryUrls: &list}, nil
	})
}

func (s *Sandbox) deleteAccessories(c *call) (any, error) {
	return withOSM(s, c, func(o *osmState, me osmIdentity, _ time.Time) (any, error) {
		a, err := o.ownAccessory(me, c.params["accessory_id"])
		if err != nil {
			return nil, err
		}
		if a.TicketID != "" {
			return nil, osmFail("OSM.01010002", "An attached accessory cannot be deleted.")
		}
		delete(o.accessories, a.ID)
		return model.DeleteAccessoriesResponse{}, nil
	})
}
