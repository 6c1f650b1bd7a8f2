package verify

import (
	"strings"
	"unicode/utf8"
)

// Mask hides most of a destination so the challenge can tell the user where
// the code went ("a***@example.com", "0086-138****1234") without disclosing
// the full address to whoever holds the session.
func Mask(destination string) string {
	d := strings.TrimSpace(destination)
	if at := strings.LastIndexByte(d, '@'); at >= 0 {
		return maskEmail(d[:at], d[at+1:])
	}
	return maskPhone(d)
}

func maskEmail(local, domain string) string {
	if local == "" {
		return "***@" + domain
	}
	r, _ := utf8.DecodeRuneInString(local)
	return string(r) + "***@" + domain
}

// maskPhone keeps an international prefix written before a separator
// ("0086-", "+86 "), then the first three and last four digits of the
// national number; shorter numbers keep only their last two digits.
func maskPhone(p string) string {
	prefix, national := "", p
	if strings.HasPrefix(p, "+") || strings.HasPrefix(p, "00") {
		if i := strings.IndexAny(p, "- "); i > 0 {
			prefix, national = p[:i+1], p[i+1:]
		}
	}
	var digits []byte
	for i := 0; i < len(national); i++ {
		if c := national[i]; c >= '0' && c <= '9' || c == '+' {
			digits = append(digits, c)
		}
	}
	n := len(digits)
	switch {
	case n == 0:
		return prefix + "****"
	case n >= 11:
		// Keep the operator prefix and the last four: 138****1234.
		return prefix + string(digits[:n-8]) + "****" + string(digits[n-4:])
	case n >= 7:
		return prefix + string(digits[:3]) + strings.Repeat("*", n-5) + string(digits[n-2:])
	case n > 2:
		return prefix + strings.Repeat("*", n-2) + string(digits[n-2:])
	default:
		return prefix + strings.Repeat("*", n)
	}
}
