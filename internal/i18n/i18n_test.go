package i18n_test

import (
	"regexp"
	"slices"
	"testing"

	"jalon/internal/i18n"
)

// Every catalogue has every key of the default one, non-empty, with the
// same placeholders.
func TestCatalogues(t *testing.T) {
	placeholders := regexp.MustCompile(`\{[a-z]+\}`)
	keys := i18n.Keys("")
	if len(keys) == 0 {
		t.Fatal("empty default catalogue")
	}
	for _, k := range keys {
		def, _ := i18n.Raw(i18n.DefaultLocale, k)
		want := placeholders.FindAllString(def, -1)
		slices.Sort(want)
		for _, loc := range i18n.Locales {
			s, ok := i18n.Raw(loc, k)
			if !ok || s == "" {
				t.Errorf("%s: %s missing or empty", loc, k)
				continue
			}
			got := placeholders.FindAllString(s, -1)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s %s: placeholders %v, %s has %v", loc, k, got, i18n.DefaultLocale, want)
			}
		}
	}
	for _, loc := range i18n.Locales[1:] {
		for _, k := range []string{"pdf.heading", "notification.LOG_SUBMITTED.title"} {
			if _, ok := i18n.Raw(loc, k); !ok {
				t.Errorf("%s lacks %s", loc, k)
			}
		}
	}
}

// The locale rule: case does not matter; an unknown language falls back to
// French; an unknown key is reported, never invented.
func TestText(t *testing.T) {
	params := map[string]string{"months": "6"}
	for _, c := range []struct{ locale, want string }{
		{"FR", "6 mois après le début"},
		{"nl", "6 maanden na de start"},
		{"De", "6 Monate nach Beginn"},
		{"EN", "6 months after the start"},
		{"es", "6 mois après le début"},
		{"", "6 mois après le début"},
	} {
		if got, ok := i18n.Text(c.locale, "pdf.slot.months", params); !ok || got != c.want {
			t.Errorf("Text(%q) = %q, %v; want %q", c.locale, got, ok, c.want)
		}
	}
	if got, _ := i18n.Text("en", "pdf.slot.months", nil); got != " months after the start" {
		t.Errorf("a missing param renders %q", got)
	}
	if got, ok := i18n.Text("en", "no.such.key", nil); ok || got != "" {
		t.Errorf("unknown key: %q, %v", got, ok)
	}
	if i18n.Resolve("NL") != "nl" || i18n.Resolve("pt") != i18n.DefaultLocale {
		t.Error("Resolve")
	}
}
