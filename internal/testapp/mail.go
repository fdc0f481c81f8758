package testapp

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"jalon/internal/config"
)

// WithMail sends the app's mail to the SMTP server at smtpURL (a Mailpit
// from testtools.StartMailpit), from "Jalon <jalon@example.test>".
func WithMail(smtpURL string) Option {
	return func(c *config.Config) {
		s, err := config.ParseSMTPURL(smtpURL)
		if err != nil {
			panic("testapp.WithMail: " + err.Error())
		}
		c.Mail.SMTP, c.Mail.From = &s, "Jalon <jalon@example.test>"
	}
}

// Mailbox reads what a Mailpit received, through its HTTP API.
type Mailbox struct {
	// API is Mailpit's base URL (testtools.StartMailpit's apiURL).
	API string
}

// MailAddress is an address as Mailpit shows it.
type MailAddress struct {
	Name    string
	Address string
}

// Mail is one message Mailpit received.
type Mail struct {
	ID       string
	Subject  string
	From     MailAddress
	To       []MailAddress
	Text     string
	HTML     string
	Username string // the SMTP user name the sender authenticated with
	// ListUnsubscribe is Mailpit's reading of the List-Unsubscribe headers.
	ListUnsubscribe struct {
		Header     string
		HeaderPost string
		Links      []string
		Errors     string
	}
}

// get decodes the JSON answer of GET path into v.
func (m Mailbox) get(t testing.TB, path string, v any) {
	t.Helper()
	res, err := http.Get(m.API + path)
	if err != nil {
		t.Fatalf("mailpit %s: %v", path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("mailpit %s: %d %s", path, res.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("mailpit %s: %v", path, err)
	}
}

// To returns every message received for address, oldest first.
func (m Mailbox) To(t testing.TB, address string) []Mail {
	t.Helper()
	var list struct {
		Messages []struct {
			ID string
			To []MailAddress
		} `json:"messages"`
	}
	m.get(t, "/api/v1/messages?limit=1000", &list)
	var out []Mail
	for i := len(list.Messages) - 1; i >= 0; i-- { // newest first in the API
		s := list.Messages[i]
		for _, to := range s.To {
			if strings.EqualFold(to.Address, address) {
				var full Mail
				m.get(t, "/api/v1/message/"+s.ID, &full)
				out = append(out, full)
				break
			}
		}
	}
	return out
}

// Count returns how many messages were received in all.
func (m Mailbox) Count(t testing.TB) int {
	t.Helper()
	var list struct {
		Total int `json:"total"`
	}
	m.get(t, "/api/v1/messages?limit=1", &list)
	return list.Total
}

// Headers returns the headers of message id as received.
func (m Mailbox) Headers(t testing.TB, id string) http.Header {
	t.Helper()
	var h map[string][]string
	m.get(t, "/api/v1/message/"+id+"/headers", &h)
	return http.Header(h)
}

// WaitFor waits up to timeout until n messages were received for address
// and returns them.
func (m Mailbox) WaitFor(t testing.TB, address string, n int, timeout time.Duration) []Mail {
	t.Helper()
	var got []Mail
	Eventually(t, timeout, "mail to "+address, func() bool {
		got = m.To(t, address)
		return len(got) >= n
	})
	return got
}

// Chaos makes Mailpit answer every RCPT TO with code (e.g. 451), or
// accept again with code 0.
func (m Mailbox) Chaos(t testing.TB, code int) {
	t.Helper()
	body := `{}`
	if code != 0 {
		b, _ := json.Marshal(map[string]any{"Recipient": map[string]int{"ErrorCode": code, "Probability": 100}})
		body = string(b)
	}
	req, _ := http.NewRequest(http.MethodPut, m.API+"/api/v1/chaos", bytes.NewReader([]byte(body)))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("mailpit chaos: %d %s", res.StatusCode, b)
	}
}
