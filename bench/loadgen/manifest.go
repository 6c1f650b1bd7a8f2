package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// manifest is the JSON line `partnergraph sandbox` prints.
type manifest struct {
	Endpoint  string    `json:"endpoint"`
	Partners  []partner `json:"partners"`
	Customers []struct {
		ID        string `json:"id"`
		PartnerID string `json:"partner_id"`
	} `json:"customers"`
}

// partner is a demo partner account of the manifest.
type partner struct {
	Kind       string `json:"kind"`
	ID         string `json:"id"`
	AK         string `json:"ak"`
	SK         string `json:"sk"`
	AgencyName string `json:"agency_name"`
}

func readManifest(path string) (*manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", path, err)
	}
	if m.Endpoint == "" {
		return nil, fmt.Errorf("manifest %s: no endpoint", path)
	}
	return &m, nil
}

// tier1 is the first tier-1 distributor of the manifest.
func (m *manifest) tier1() (partner, error) {
	for _, p := range m.Partners {
		if p.Kind == "tier1" {
			return p, nil
		}
	}
	return partner{}, errors.New("manifest: no tier1 partner")
}

// showcase is the tier-1's showcase customer: its first customer in the
// manifest (a resale customer with orders and a balance).
func (m *manifest) showcase(tier1 string) (string, error) {
	for _, c := range m.Customers {
		if c.PartnerID == tier1 {
			return c.ID, nil
		}
	}
	return "", errors.New("manifest: the tier-1 partner has no customer")
}

// claims are the gateway's JWT claims (identity).
type claims struct {
	Issuer     string `json:"iss"`
	Audience   string `json:"aud"`
	Subject    string `json:"sub"`
	IssuedAt   int64  `json:"iat"`
	NotBefore  int64  `json:"nbf"`
	Expires    int64  `json:"exp"`
	Role       string `json:"role"`
	PartnerID  string `json:"partner_id"`
	CustomerID string `json:"customer_id,omitempty"`
	Phone      string `json:"phone_number,omitempty"`
}

// mint signs an HS256 token valid for two hours.
func mint(secret []byte, c claims) string {
	now := time.Now()
	c.Issuer, c.Audience = "partnergraph", "partnergraph"
	c.IssuedAt, c.NotBefore, c.Expires = now.Unix(), now.Add(-time.Minute).Unix(), now.Add(2*time.Hour).Unix()
	payload, _ := json.Marshal(c) // plain strings and integers: cannot fail
	enc := base64.RawURLEncoding
	s := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString(payload)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(s))
	return s + "." + enc.EncodeToString(mac.Sum(nil))
}
