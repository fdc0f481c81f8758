// Package i18n holds Jalon's translations, one catalogue per language
// (fr.json, nl.json, de.json, en.json in this folder), and the one rule that
// picks a text: the recipient's language when it has a catalogue holding
// the key, French otherwise. Notifications (section "notification"),
// e-mails and their unsubscribe page (section "mail"), the evaluation PDF
// (section "pdf") and the tutors' review page (section "review") read their
// texts here.
//
// A catalogue is a JSON object of sections; nested objects make dotted keys
// ({"pdf": {"role": {"TUTOR": "Tutor"}}} is "pdf.role.TUTOR"). Placeholders
// are {name}, filled from the params given to Text; a placeholder without a
// value renders empty. Every catalogue has the keys and placeholders of the
// French one (TestCatalogues).
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

//go:embed *.json
var files embed.FS

// DefaultLocale is the language used when the asked one has no catalogue
// or its catalogue lacks the key.
const DefaultLocale = "fr"

// Locales are the languages with a catalogue, the default first.
var Locales = []string{"fr", "nl", "de", "en"}

// catalogues maps a locale to its flattened keys.
var catalogues = mustLoad()

func mustLoad() map[string]map[string]string {
	out := make(map[string]map[string]string, len(Locales))
	for _, loc := range Locales {
		raw, err := files.ReadFile(loc + ".json")
		if err != nil {
			panic(fmt.Sprintf("i18n: catalogue %s: %v", loc, err)) // embedded: part of the build
		}
		var tree map[string]any
		if err := json.Unmarshal(raw, &tree); err != nil {
			panic(fmt.Sprintf("i18n: catalogue %s: %v", loc, err))
		}
		flat := map[string]string{}
		if err := flatten("", tree, flat); err != nil {
			panic(fmt.Sprintf("i18n: catalogue %s: %v", loc, err))
		}
		out[loc] = flat
	}
	return out
}

func flatten(prefix string, tree map[string]any, into map[string]string) error {
	for k, v := range tree {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		switch v := v.(type) {
		case string:
			into[key] = v
		case map[string]any:
			if err := flatten(key, v, into); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: a text or an object expected", key)
		}
	}
	return nil
}

// Resolve returns the catalogue locale that serves locale ("FR", "nl", ...):
// locale in lower case when it has a catalogue, DefaultLocale otherwise.
func Resolve(locale string) string {
	loc := strings.ToLower(locale)
	if _, ok := catalogues[loc]; ok {
		return loc
	}
	return DefaultLocale
}

// Text returns the text of key in locale with its placeholders filled from
// params: from locale's catalogue, else from the default one (see the
// package comment). ok is false when no catalogue has the key.
func Text(locale, key string, params map[string]string) (text string, ok bool) {
	s, ok := catalogues[Resolve(locale)][key]
	if !ok {
		s, ok = catalogues[DefaultLocale][key]
	}
	if !ok {
		return "", false
	}
	return fill(s, params), true
}

// Raw returns the unfilled text of key in exactly locale's catalogue, with
// no fallback (for tests of the catalogues themselves).
func Raw(locale, key string) (string, bool) {
	s, ok := catalogues[locale][key]
	return s, ok
}

// Keys returns the keys of the default catalogue that start with prefix,
// sorted.
func Keys(prefix string) []string {
	var out []string
	for k := range catalogues[DefaultLocale] {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// fill replaces every {name} in s by params[name].
func fill(s string, params map[string]string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		b.WriteString(s[:i])
		b.WriteString(params[s[i+1:i+j]])
		s = s[i+j+1:]
	}
	b.WriteString(s)
	return b.String()
}
