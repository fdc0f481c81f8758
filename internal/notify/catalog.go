package notify

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
)

// The message catalogues: one JSON file per language, mapping a kind to its
// title and body templates. Placeholders are {name}, filled from
// Message.Params; a placeholder without a value renders empty.
//
//go:embed messages/*.json
var catalogFS embed.FS

// Template is a kind's text in one language.
type Template struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

// DefaultLocale is used when the recipient's language has no catalogue or
// the catalogue lacks the kind.
const DefaultLocale = "fr"

// Locales are the languages with a catalogue.
var Locales = []string{"fr", "nl", "de", "en"}

var catalog = mustLoadCatalog()

func mustLoadCatalog() map[string]map[string]Template {
	out := map[string]map[string]Template{}
	for _, loc := range Locales {
		raw, err := catalogFS.ReadFile(path.Join("messages", loc+".json"))
		if err != nil {
			panic(fmt.Sprintf("notify: catalogue %s: %v", loc, err))
		}
		m := map[string]Template{}
		if err := json.Unmarshal(raw, &m); err != nil {
			panic(fmt.Sprintf("notify: catalogue %s: %v", loc, err))
		}
		out[loc] = m
	}
	return out
}

// Kinds returns every kind the default catalogue knows, sorted.
func Kinds() []string {
	out := make([]string, 0, len(catalog[DefaultLocale]))
	for k := range catalog[DefaultLocale] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// KnownKind reports whether kind has a message in the catalogues.
func KnownKind(kind string) bool {
	_, ok := catalog[DefaultLocale][kind]
	return ok
}

// CatalogueTemplate returns the raw template of kind in locale (for tests of
// the catalogues themselves).
func CatalogueTemplate(locale, kind string) (Template, bool) {
	t, ok := catalog[locale][kind]
	return t, ok
}

// Render returns the title and body of m in locale ("FR", "nl", ...; French
// when the language or the kind is missing from its catalogue). An unknown
// kind renders as its name, so a new kind never loses a notification.
func Render(locale string, m Message) (title, body string) {
	loc := strings.ToLower(locale)
	t, ok := catalog[loc][m.Kind]
	if !ok {
		t, ok = catalog[DefaultLocale][m.Kind]
	}
	if !ok {
		return m.Kind, ""
	}
	return fill(t.Title, m.Params), fill(t.Body, m.Params)
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
