package reviewlink

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/apperr"
	"jalon/internal/audit"
	"jalon/internal/evaluations"
	"jalon/internal/logbook"
	"jalon/internal/postgres"
	"jalon/internal/reviewlink/reviewlinkdb"
)

// Kind is one of the actions the review page offers, and the only ones a
// link can take.
type Kind string

const (
	// Validate validates Action.Entries (one, or all those shown).
	Validate Kind = "validate"
	// RequestChanges sends Action.Entries back with Action.Comment.
	RequestChanges Kind = "request-changes"
	// Sign signs Action.Evaluation as its tutor, if it is still at
	// Action.Version (the content the page showed).
	Sign Kind = "sign"
	// ScoreAndSign saves Action.Scores and Action.GeneralComment at
	// Action.Version, then signs: both or neither.
	ScoreAndSign Kind = "score-sign"
)

// Action is what a form of the review page asks for.
type Action struct {
	Kind           Kind
	Entries        []uuid.UUID
	Comment        string
	Evaluation     uuid.UUID
	Version        int
	Scores         []evaluations.ScoreInput
	GeneralComment *string
}

// LinkError refuses an action or a renewal because of the link itself (see
// Link.State). Nothing changed.
type LinkError struct{ Link Link }

func (e *LinkError) Error() string {
	return fmt.Sprintf("review link not usable (state %d)", e.Link.State)
}

// ErrAlreadyRenewed: a fresh link was already mailed for this one.
var ErrAlreadyRenewed = errors.New("a fresh review link was already sent for this link")

// Act runs action a through the link token from the browser holding the
// cookie secret browser, as the link's tutor, and returns the link. The
// first action binds the link to that browser. The link's check, its
// binding and the change are one transaction: a refusal (a *LinkError, or
// the service's apperr: NOT_FOUND for an entry or evaluation outside the
// tutor's contracts, CONFLICT, VALIDATION_FAILED, FORBIDDEN) changes
// nothing. The services apply the same rules as the GraphQL mutations
// reviewLogEntries, saveEvaluation and signEvaluation.
func (s *Service) Act(ctx context.Context, token, browser string, a Action) (Link, error) {
	var link Link
	err := s.inTx(ctx, func(tx pgx.Tx, svc txServices) error {
		var err error
		link, err = s.lock(ctx, tx, token, browser)
		if err != nil {
			return err
		}
		if link.State != Valid {
			return &LinkError{Link: link}
		}
		if browser == "" {
			// The handler always sets one; without it the link would bind to nobody.
			return &LinkError{Link: Link{State: Invalid}}
		}
		now := s.Clock.Now()
		if err := reviewlinkdb.New(tx).UseLink(ctx, reviewlinkdb.UseLinkParams{ID: link.ID, BrowserHash: hash([]byte(browser)), Now: now}); err != nil {
			return fmt.Errorf("use review link: %w", err)
		}
		return svc.run(actingAs(ctx, link), a)
	})
	return link, err
}

// txServices are the services the page acts through, working inside the
// transaction of the action (their own transactions become savepoints):
// the same code and rules, committed or rolled back with the link's use.
type txServices struct {
	logbook     *logbook.Service
	evaluations *evaluations.Service
}

func (s *Service) inTx(ctx context.Context, fn func(tx pgx.Tx, svc txServices) error) error {
	return postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		lb, ev := *s.Logbook, *s.Evaluations
		lb.DB, ev.DB = tx, tx
		return fn(tx, txServices{logbook: &lb, evaluations: &ev})
	})
}

func (svc txServices) run(ctx context.Context, a Action) error {
	switch a.Kind {
	case Validate, RequestChanges:
		decision := logbook.Validate
		if a.Kind == RequestChanges {
			decision = logbook.RequestChanges
		}
		_, err := svc.logbook.Review(ctx, a.Entries, logbook.ReviewInput{Decision: decision, Comment: a.Comment})
		return err
	case Sign:
		e, err := svc.evaluations.Get(ctx, a.Evaluation)
		if err != nil {
			return err
		}
		if e.Version != a.Version {
			return apperr.New(apperr.Conflict, "the evaluation was changed meanwhile").With("currentVersion", e.Version)
		}
		_, err = svc.evaluations.Sign(ctx, a.Evaluation)
		return err
	case ScoreAndSign:
		_, err := svc.evaluations.Save(ctx, a.Evaluation, evaluations.SaveInput{
			ExpectedVersion: a.Version, Scores: a.Scores, GeneralComment: a.GeneralComment})
		if err != nil {
			return err
		}
		_, err = svc.evaluations.Sign(ctx, a.Evaluation)
		return err
	}
	return apperr.Invalid("action", "unknown action")
}

// Renew mails the tutor a fresh link in place of an expired or used-up one
// (once per link) and returns the old link. Errors: *LinkError when the
// link is not renewable (invalid, revoked, or still valid: nothing to
// renew; or e-mail is off), ErrAlreadyRenewed.
func (s *Service) Renew(ctx context.Context, token, browser string) (Link, error) {
	var link Link
	err := s.inTx(ctx, func(tx pgx.Tx, _ txServices) error {
		var err error
		link, err = s.lock(ctx, tx, token, browser)
		if err != nil {
			return err
		}
		if !s.CanRenew(link) {
			return &LinkError{Link: link}
		}
		n, err := reviewlinkdb.New(tx).MarkRenewed(ctx, reviewlinkdb.MarkRenewedParams{ID: link.ID, Now: s.Clock.Now()})
		if err != nil {
			return fmt.Errorf("renew review link: %w", err)
		}
		if n == 0 {
			return ErrAlreadyRenewed
		}
		if err := s.Mailer.MailReviewLink(ctx, tx, link.TutorID, link.ID); err != nil {
			return fmt.Errorf("mail fresh review link: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "review_link.renewed", TargetType: "user", TargetID: link.TutorID.String(),
			Details: map[string]any{"link": link.ID.String()}})
	})
	return link, err
}
