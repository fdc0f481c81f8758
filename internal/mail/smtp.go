package mail

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"
	gomail "github.com/wneessen/go-mail"

	"jalon/internal/config"
)

// sendTimeout bounds the connection and each exchange with the SMTP server.
const sendTimeout = 30 * time.Second

// Sender sends messages to the configured SMTP server, one connection per
// message. Its password is never logged.
type Sender struct {
	smtp config.SMTPConfig
	from *mail.Address
}

// NewSender returns the Sender of cfg, or nil when JALON_SMTP_URL is unset
// (e-mail off).
func NewSender(cfg config.MailConfig) (*Sender, error) {
	if cfg.SMTP == nil {
		return nil, nil
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, errors.New("JALON_MAIL_FROM: not an address such as \"Jalon <noreply@example.org>\"")
	}
	return &Sender{smtp: *cfg.SMTP, from: from}, nil
}

// String names the server (never the password), for the log.
func (s *Sender) String() string { return s.smtp.String() }

// message is one mail to send.
type message struct {
	To, ToName string
	Subject    string
	Text, HTML string
	// Locale is the language of the texts (Content-Language).
	Locale string
	// Kind is the notification kind, DIGEST or INVITATION (X-Jalon-Kind,
	// metrics).
	Kind string
	// Unsubscribe is the one-click unsubscribe URL (RFC 8058); "" for an
	// invitation.
	Unsubscribe string
}

// errAddress means the recipient's address cannot even be written in a
// message: like a permanent failure, mailing it again is pointless.
var errAddress = errors.New("mail: the recipient's address is not valid")

// build makes the MIME message: multipart/alternative text and HTML, the
// List-Unsubscribe and List-Unsubscribe-Post headers, and headers that ask
// other robots not to answer.
func (s *Sender) build(m message, now time.Time) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(s.from)
	if err := msg.AddToFormat(m.ToName, m.To); err != nil {
		return nil, errAddress
	}
	msg.Subject(m.Subject)
	msg.SetDateWithValue(now)
	// The Message-ID names the sender's domain, not this host's.
	_, domain, _ := strings.Cut(s.from.Address, "@")
	msg.SetMessageIDWithValue(uuid.NewString() + "@" + domain)
	msg.SetGenHeader(gomail.HeaderContentLang, m.Locale)
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	msg.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	msg.SetGenHeader(gomail.Header("X-Jalon-Kind"), m.Kind)
	// RFC 8058 asks for an https URL; a development server's is http, and
	// the headers are what a mail client reads either way.
	if m.Unsubscribe != "" { // an invitation has none
		msg.SetListUnsubscribe(m.Unsubscribe)
		msg.SetListUnsubscribePost()
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	return msg, nil
}

// client returns a client for one message.
func (s *Sender) client() (*gomail.Client, error) {
	opts := []gomail.Option{gomail.WithPort(s.smtp.Port), gomail.WithTimeout(sendTimeout)}
	switch s.smtp.TLS {
	case config.ImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	case config.NoTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if s.smtp.Username != "" {
		auth := gomail.SMTPAuthAutoDiscover
		if s.smtp.TLS == config.NoTLS {
			// Only to a server on this machine (the configuration refuses
			// credentials in clear to any other).
			auth = gomail.SMTPAuthPlainNoEnc
		}
		opts = append(opts, gomail.WithSMTPAuth(auth), gomail.WithUsername(s.smtp.Username), gomail.WithPassword(s.smtp.Password))
	}
	return gomail.NewClient(s.smtp.Host, opts...)
}

// send delivers m; the error says what kind of failure it was (see
// classify).
func (s *Sender) send(ctx context.Context, m message, now time.Time) error {
	msg, err := s.build(m, now)
	if err != nil {
		return err
	}
	c, err := s.client()
	if err != nil {
		return fmt.Errorf("mail: SMTP client: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*sendTimeout)
	defer cancel()
	return c.DialAndSendWithContext(ctx, msg)
}

// failure is what a failed send means for the message and the address.
type failure string

const (
	// temporary: a 4xx answer, or no answer (connection, time-out): retry.
	temporary failure = "temporary"
	// bounced: a 5xx answer about the recipient: their address is failing.
	bounced failure = "bounced"
	// rejected: another 5xx answer (the sender, the content): retrying the
	// same message is pointless, the address is not at fault.
	rejected failure = "rejected"
)

// classify tells what err from send means and returns an error that is safe
// to log and to keep in the job's errors: the server's status codes, never
// its free text nor the address (which the server's text often repeats).
func classify(err error) (failure, string, error) {
	if errors.Is(err, errAddress) {
		return bounced, "invalid address", err
	}
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return temporary, "", err // dial, TLS, authentication, time-out
	}
	code := se.ErrorCode()
	reply := fmt.Sprint(code)
	if esc := se.EnhancedStatusCode(); esc != "" {
		reply += " " + esc
	}
	safe := fmt.Errorf("mail: %s: SMTP %s", se.Reason, reply)
	if code < 500 || code > 599 {
		return temporary, reply, safe
	}
	switch {
	case se.Reason == gomail.ErrSMTPRcptTo:
		return bounced, reply, safe
	case len(reply) > 6 && (reply[4:7] == "5.1" || reply[4:7] == "5.2"):
		// An enhanced code about the address or the mailbox (RFC 3463), at
		// the end of DATA for servers that check recipients late.
		return bounced, reply, safe
	}
	return rejected, reply, safe
}
