package mail

import (
	"bytes"
	"embed"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"

	"jalon/internal/i18n"
	"jalon/internal/push"
)

// The layouts are templates in templates/ (html/template for the HTML part
// and the unsubscribe page, text/template for the text part); every text
// in them comes from internal/i18n's "mail" section, in the recipient's
// language, through L.T.

//go:embed templates/*.html templates/*.txt
var templateFiles embed.FS

var (
	htmlTemplates = htmltemplate.Must(htmltemplate.ParseFS(templateFiles, "templates/*.html"))
	textTemplates = texttemplate.Must(texttemplate.ParseFS(templateFiles, "templates/*.txt"))
)

// localizer gives templates the texts of one language.
type localizer struct{ locale string }

// T returns the text of key in the "mail" section with its placeholders
// filled from kv (name, value, name, value...).
func (l localizer) T(key string, kv ...string) string {
	params := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		params[kv[i]] = kv[i+1]
	}
	s, _ := i18n.Text(l.locale, "mail."+key, params)
	return s
}

// Lang is the language tag of the texts (the lang attribute).
func (l localizer) Lang() string { return i18n.Resolve(l.locale) }

// topicName is what the unsubscribe line calls a topic: a notification
// kind's title, or the digest.
func topicName(locale, topic string) string {
	if topic == push.DigestTopic {
		s, _ := i18n.Text(locale, "mail.digest.name", nil)
		return s
	}
	if s, ok := i18n.Text(locale, "notification."+topic+".title", nil); ok {
		return s
	}
	return topic
}

// eventView is the mail of one notification.
type eventView struct {
	L           localizer
	Subject     string
	Name        string // the recipient's first name
	Title, Body string // the notification, as the inbox shows it
	ReviewURL   string // the one-tap review link, "" when none
	ReviewLabel string
	Topic       string
	Unsubscribe string
}

// digestView is a tutor's digest.
type digestView struct {
	L           localizer
	Subject     string
	Name        string
	Apprentices []digestApprentice
	ReviewURL   string
	ReviewLabel string
	Topic       string
	Unsubscribe string
}

// digestApprentice is one apprentice's part of a digest: lines of counts
// and dates, already in the tutor's language.
type digestApprentice struct {
	Name  string
	Lines []string
	key   string // sorts by last name, first name, contract
}

// pageView is the unsubscribe page.
type pageView struct {
	L       localizer
	Topic   string
	Action  string // the form's target (the signed URL itself), "" when none
	Done    bool
	Invalid bool
}

// render executes the HTML and text templates named name+".html" and
// name+".txt" with v.
func render(name string, v any) (html, text string, err error) {
	var h, t bytes.Buffer
	if err := htmlTemplates.ExecuteTemplate(&h, name+".html", v); err != nil {
		return "", "", err
	}
	if err := textTemplates.ExecuteTemplate(&t, name+".txt", v); err != nil {
		return "", "", err
	}
	return h.String(), tidy(t.String()), nil
}

// tidy trims trailing spaces and runs of blank lines from a text part.
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	blank := false
	for _, l := range lines {
		if l != "-- " { // the signature separator keeps its space
			l = strings.TrimRight(l, " \t")
		}
		if l == "" {
			if blank || len(out) == 0 {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, l)
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n") + "\n"
}
