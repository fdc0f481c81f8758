package admin

import "testing"

func TestNormalizeEnterpriseNumber(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"0417.497.106":    "0417497106",
		"BE0417497106":    "0417497106",
		"be 0417 497 106": "0417497106",
		"0417-497-106":    "0417497106",
		"417497106":       "0417497106",
		"0202.239.951":    "0202239951",
	} {
		got, err := NormalizeEnterpriseNumber(in)
		if err != nil || got != want {
			t.Errorf("%q: got %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0417.497.107", "0417497", "04174971066", "2417497106", "BE04X7497106", "FR0417497106"} {
		if got, err := NormalizeEnterpriseNumber(bad); err == nil {
			t.Errorf("%q accepted as %q", bad, got)
		}
	}
}
