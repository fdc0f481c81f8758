// Package admin owns the administration writes of reference data and
// contracts: companies (with their Belgian enterprise number), training
// centres, trades with their competency frameworks, contracts and their
// status. Every operation is ADMIN only, validated field by field, and
// audited in the transaction of the change. Users are created and changed by
// package identity.
package admin

import (
	"strings"

	"jalon/internal/apperr"
	"jalon/internal/notify"
	"jalon/internal/service"
)

// Service is the administration's writes (and the operator's CSV import).
type Service struct {
	service.Base
	// Notify tells a contract's guardians that it was suspended, ended or
	// terminated.
	Notify *notify.Notifier
}

// NormalizeEnterpriseNumber accepts a Belgian enterprise number written as
// 0417.497.106, 0417 497 106, BE0417497106 or 0417497106 (and the old
// nine-digit form 417497106), checks it and returns its ten digits. The last
// two digits are 97 minus the first eight modulo 97.
func NormalizeEnterpriseNumber(s string) (string, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "BE")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '.' || r == ' ' || r == '-':
		default:
			return "", apperr.Invalid("enterpriseNumber", "an enterprise number has 10 digits, e.g. 0417.497.106")
		}
	}
	d := b.String()
	if len(d) == 9 {
		d = "0" + d
	}
	if len(d) != 10 || (d[0] != '0' && d[0] != '1') {
		return "", apperr.Invalid("enterpriseNumber", "an enterprise number has 10 digits starting with 0 or 1, e.g. 0417.497.106")
	}
	var base, check int
	for _, r := range d[:8] {
		base = base*10 + int(r-'0')
	}
	check = int(d[8]-'0')*10 + int(d[9]-'0')
	if 97-base%97 != check {
		return "", apperr.Invalid("enterpriseNumber", "the check digits of this enterprise number are wrong")
	}
	return d, nil
}

func trimmed(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

// text checks a required or optional text field's length.
func text(field, v string, required bool, maxLen int) error {
	if required && v == "" {
		return apperr.Invalid(field, "is required")
	}
	if len([]rune(v)) > maxLen {
		return apperr.Invalid(field, "must have at most %d characters", maxLen)
	}
	return nil
}
