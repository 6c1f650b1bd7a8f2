package sandbox

import (
	"fmt"
	"strings"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/osm/v2/model"
)

// OSM contact verification (OSM-API.md §2.7): a ticket's reminder mobile or
// e-mail that is not the account's registered one must be verified first.
// CheckNeedVerify says whether a contact needs it (0 registered or already
// verified, with the verification's expiry; 1 otherwise); SendVerifyCodes
// "sends" a 6-digit code, valid 10 minutes, listed by GET /_sandbox/sms
// (scene 100 for a mobile, 101 for an e-mail; "mobile" holds the contact
// value); CheckVerifyCodes checks it (wrong, expired, used or after 3
// failures → OSM.01010010) and records the contact as verified for 30 days;
// ListHasVerifiedContacts lists the verified contacts with their
// verified_id, which CreateCases takes in x-phone-verifiedid /
// x-email-verifiedid. contact_way other than 0 (mobile) or 1 (e-mail) →
// OSM.01010012. A mobile is compared as its national number with its area
// code ("86" when absent).

const (
	osmCodeValid     = 10 * time.Minute
	contactValid     = 30 * 24 * time.Hour
	osmSceneMobile   = 100
	osmSceneMail     = 101
	osmCodeFailLimit = 3
)

// VerifiedContact is a reminder contact verified with a code.
type VerifiedContact struct {
	ID       string
	Way      int32 // 0 mobile, 1 e-mail
	Value    string
	AreaCode string // mobiles only
	Expires  time.Time
}

// verified reports whether owner has a valid verified contact of that way
// and value (and, when id is set, with that verified id).
func (o *osmState) verified(owner string, way int32, value, area, id string, now time.Time) bool {
	return o.verifiedContact(owner, way, value, area, id, now) != nil
}

func (o *osmState) verifiedContact(owner string, way int32, value, area, id string, now time.Time) *VerifiedContact {
	for _, vc := range o.contacts[owner] {
		if vc.Way != way || !now.Before(vc.Expires) || (id != "" && vc.ID != id) {
			continue
		}
		if way == 0 && vc.Value == value && vc.AreaCode == area {
			return vc
		}
		if way == 1 && strings.EqualFold(vc.Value, value) {
			return vc
		}
	}
	return nil
}

// contactInput validates a contact: way 0/1, value format, area code.
func contactInput(way int32, value, area string) (string, error) {
	if way != 0 && way != 1 {
		return "", osmFail("OSM.01010012")
	}
	if err := checkLen("contact_value", value, 64, true); err != nil {
		return "", err
	}
	if way == 1 {
		if !reRemindMail.MatchString(value) {
			return "", osmInvalid("contact_value is not a valid e-mail address")
		}
		return "", nil
	}
	if !reDigits.MatchString(value) {
		return "", osmInvalid("contact_value must be 5 to 20 digits")
	}
	area = strings.TrimPrefix(area, "+")
	if area == "" {
		area = "86"
	}
	if !knownAreaCode(area) {
		return "", osmInvalid("area_code %s is not a known country/region code", area)
	}
	return area, nil
}

// contactScene is the /_sandbox/sms scene of a contact way's codes.
func contactScene(way int32) int32 {
	if way == 1 {
		return osmSceneMail
	}
	return osmSceneMobile
}

// registered reports whether the contact is the caller's registered one.
func (me osmIdentity) registered(way int32, value, area string) bool {
	if way == 0 {
		return area == "86" && value == me.Mobile
	}
	return strings.EqualFold(value, me.Email)
}

func (s *Sandbox) checkNeedVerify(c *call) (any, error) {
	way, err := c.osmInt("contact_way", -1<<31, 1<<31-1)
	if err != nil {
		return nil, err
	}
	if way == nil {
		return nil, osmInvalid("contact_way is required")
	}
	area, err := contactInput(*way, c.q("contact_value"), c.q("area_code"))
	if err != nil {
		return nil, err
	}
	value := c.q("contact_value")
	return withOSM(s, c, func(o *osmState, me osmIdentity, now time.Time) (any, error) {
		if me.registered(*way, value, area) {
			return model.CheckNeedVerifyResponse{NeedVerifyCode: ptr(int32(0))}, nil
		}
		if vc := o.verifiedContact(me.OwnerID, *way, value, area, "", now); vc != nil {
			return model.CheckNeedVerifyResponse{NeedVerifyCode: ptr(int32(0)), ExpireTime: sdkTime(vc.Expires)}, nil
		}
		return model.CheckNeedVerifyResponse{NeedVerifyCode: ptr(int32(1))}, nil
	})
}

func (s *Sandbox) sendVerifyCodes(c *call) (any, error) {
	var body model.SendVerifyCodeReq
	if err := c.osmBody(&body); err != nil {
		return nil, err
	}
	if _, err := contactInput(body.ContactWay, body.ContactValue, body.AreaCode); err != nil {
		return nil, err
	}
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	st.sms = append(st.sms, &SMSCode{
		Mobile: body.ContactValue, Code: fmt.Sprintf("%06d", st.rng.Intn(1_000_000)), Scene: contactScene(body.ContactWay),
		SentAt: now, Expires: now.Add(osmCodeValid),
	})
	return model.SendVerifyCodesResponse{}, nil
}

func (s *Sandbox) checkVerifyCodes(c *call) (any, error) {
	var body model.VerifyVerifyCodeV2Req
	if err := c.osmBody(&body); err != nil {
		return nil, err
	}
	area, err := contactInput(body.ContactWay, body.ContactValue, valueOf(body.AreaCode))
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(body.VerifyCode) == "" {
		return nil, osmInvalid("verify_code is required")
	}
	st := s.state
	return withOSM(s, c, func(o *osmState, me osmIdentity, now time.Time) (any, error) {
		scene := contactScene(body.ContactWay)
		var code *SMSCode
		for i := len(st.sms) - 1; i >= 0; i-- {
			if m := st.sms[i]; m.Scene == scene && strings.EqualFold(m.Mobile, body.ContactValue) {
				code = m
				break
			}
		}
		switch {
		case code == nil || code.Used || code.Failures >= osmCodeFailLimit || !now.Before(code.Expires):
			return nil, osmFail("OSM.01010010", "Request a new verification code.")
		case code.Code != body.VerifyCode:
			code.Failures++
			return nil, osmFail("OSM.01010010", "The verification code is incorrect.")
		}
		code.Used = true
		if vc := o.verifiedContact(me.OwnerID, body.ContactWay, body.ContactValue, area, "", time.Time{}); vc != nil {
			vc.Expires = now.Add(contactValid)
			return model.CheckVerifyCodesResponse{}, nil
		}
		o.contacts[me.OwnerID] = append(o.contacts[me.OwnerID], &VerifiedContact{
			ID: randHex(st.rng, 16), Way: body.ContactWay, Value: body.ContactValue, AreaCode: area, Expires: now.Add(contactValid),
		})
		return model.CheckVerifyCodesResponse{}, nil
	})
}

// listHasVerifiedContacts lists the caller's valid verified contacts,
// filtered by contact_way, verified_id, contact_value and area_code
// (customer_id, when given, must be the caller's account).
func (s *Sandbox) listHasVerifiedContacts(c *call) (any, error) {
	off, lim, err := c.osmPage()
	if err != nil {
		return nil, err
	}
	way, err := c.osmInt("contact_way", 0, 1)
	if err != nil {
		return nil, err
	}
	return withOSM(s, c, func(o *osmState, me osmIdentity, now time.Time) (any, error) {
		var match []*VerifiedContact
		if cid := c.q("customer_id"); cid == "" || cid == me.OwnerID {
			for _, vc := range o.contacts[me.OwnerID] {
				switch {
				case !now.Before(vc.Expires),
					way != nil && vc.Way != *way,
					c.q("verified_id") != "" && vc.ID != c.q("verified_id"),
					c.q("contact_value") != "" && !strings.EqualFold(vc.Value, c.q("contact_value")),
					c.q("area_code") != "" && vc.AreaCode != strings.TrimPrefix(c.q("area_code"), "+"):
					continue
				}
				match = append(match, vc)
			}
		}
		list := pageOf(match, off, lim, func(vc *VerifiedContact) model.ContactV2 {
			cv := model.ContactV2{ContactWay: ptr(vc.Way), ContactValue: ptr(vc.Value), VerifiedId: ptr(vc.ID)}
			if vc.Way == 0 {
				cv.AreaCode = ptr(vc.AreaCode)
			}
			return cv
		})
		return model.ListHasVerifiedContactsResponse{Count: ptr(int32(len(match))), ContactList: &list}, nil
	})
}
