package notify

import (
	"strings"

	"jalon/internal/i18n"
)

// The texts of notifications live in package i18n's catalogues, section
// "notification": a kind's title and body templates per language
// ("notification.<KIND>.title" and ".body"). Placeholders are {name},
// filled from Message.Params; a placeholder without a value renders empty.
// This file keeps notify's API over them.

// Template is a kind's text in one language.
type Template struct {
	Title string
	Body  string
}

// DefaultLocale is used when the recipient's language has no catalogue or
// the catalogue lacks the kind.
const DefaultLocale = i18n.DefaultLocale

// Locales are the languages with a catalogue.
var Locales = i18n.Locales

const section = "notification."

func titleKey(kind string) string { return section + kind + ".title" }
func bodyKey(kind string) string  { return section + kind + ".body" }

// Kinds returns every kind the default catalogue knows, sorted.
func Kinds() []string {
	var out []string
	for _, k := range i18n.Keys(section) {
		if kind, ok := strings.CutSuffix(strings.TrimPrefix(k, section), ".title"); ok {
			out = append(out, kind)
		}
	}
	return out
}

// KnownKind reports whether kind has a message in the catalogues.
func KnownKind(kind string) bool {
	_, ok := i18n.Raw(DefaultLocale, titleKey(kind))
	return ok
}

// CatalogueTemplate returns the raw template of kind in locale (for tests of
// the catalogues themselves).
func CatalogueTemplate(locale, kind string) (Template, bool) {
	title, ok := i18n.Raw(locale, titleKey(kind))
	if !ok {
		return Template{}, false
	}
	body, _ := i18n.Raw(locale, bodyKey(kind))
	return Template{Title: title, Body: body}, true
}

// Render returns the title and body of m in locale ("FR", "nl", ...; French
// when the language or the kind is missing from its catalogue). An unknown
// kind renders as its name, so a new kind never loses a notification.
func Render(locale string, m Message) (title, body string) {
	title, ok := i18n.Text(locale, titleKey(m.Kind), m.Params)
	if !ok {
		return m.Kind, ""
	}
	body, _ = i18n.Text(locale, bodyKey(m.Kind), m.Params)
	return title, body
}
