package evaluations

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/apperr"
	"jalon/internal/audit"
	"jalon/internal/auth"
	"jalon/internal/contracts"
	"jalon/internal/evaluations/evaluationsdb"
	"jalon/internal/guardians"
	"jalon/internal/notify"
	"jalon/internal/postgres"
)

// ScoreInput sets one criterion's score (nil clears it) and comment.
type ScoreInput struct {
	CriterionID uuid.UUID
	Score       *int
	Comment     *string
}

// SaveInput is what saveEvaluation takes. Criteria not listed in Scores and
// a nil GeneralComment are left as they are.
type SaveInput struct {
	ExpectedVersion int
	Scores          []ScoreInput
	GeneralComment  *string
}

// Limits of the free text of an evaluation.
const (
	maxComment        = 2000
	maxGeneralComment = 4000
)

// Save records scores and comments. The tutor (or the adviser) of the
// contract may save while the tutor has not signed. Errors: NOT_FOUND
// (outsider), FORBIDDEN (apprentice, admin), CONFLICT (stale
// expectedVersion, with extensions.currentVersion; or content frozen by the
// tutor's signature), VALIDATION_FAILED (score outside the scale, criterion
// of another evaluation, text too long).
func (s *Service) Save(ctx context.Context, id uuid.UUID, in SaveInput) (Evaluation, error) {
	var out Evaluation
	err := postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		e, c, err := load(ctx, tx, id, true)
		if err != nil {
			return err
		}
		p, _ := auth.Require(ctx)
		if role := c.RoleOf(p); role != auth.Tutor && role != auth.Adviser {
			return apperr.New(apperr.Forbidden, "only the tutor or the adviser scores an evaluation")
		}
		if e.Status.Frozen() {
			return apperr.New(apperr.Conflict, "the evaluation is signed: its content is frozen")
		}
		if in.ExpectedVersion != e.Version {
			return apperr.New(apperr.Conflict, "the evaluation was changed meanwhile").With("currentVersion", e.Version)
		}
		t, err := getTemplate(ctx, tx, e.TemplateID)
		if err != nil {
			return err
		}
		criteria, err := criteriaOfOne(ctx, tx, e.ID)
		if err != nil {
			return err
		}
		own := make(map[uuid.UUID]bool, len(criteria))
		for _, cr := range criteria {
			own[cr.ID] = true
		}
		seen := map[uuid.UUID]bool{}
		scores := make([]evaluationsdb.SetScoreParams, 0, len(in.Scores))
		for i, sc := range in.Scores {
			field := fmt.Sprintf("scores.%d", i)
			if !own[sc.CriterionID] || seen[sc.CriterionID] {
				return apperr.Invalid(field+".criterionId", "not a criterion of this evaluation, or given twice")
			}
			seen[sc.CriterionID] = true
			if sc.Score != nil && (*sc.Score < t.ScaleMin || *sc.Score > t.ScaleMax) {
				return apperr.Invalid(field+".score", "must be between %d and %d", t.ScaleMin, t.ScaleMax)
			}
			if sc.Comment != nil {
				trimmed := strings.TrimSpace(*sc.Comment)
				if len([]rune(trimmed)) > maxComment {
					return apperr.Invalid(field+".comment", "at most %d characters", maxComment)
				}
				sc.Comment = &trimmed
			}
			scores = append(scores, evaluationsdb.SetScoreParams{ID: sc.CriterionID, Score: int32Ptr(sc.Score), Comment: sc.Comment})
		}
		general := e.GeneralComment
		if in.GeneralComment != nil {
			general = strings.TrimSpace(*in.GeneralComment)
			if len([]rune(general)) > maxGeneralComment {
				return apperr.Invalid("generalComment", "at most %d characters", maxGeneralComment)
			}
		}
		q := evaluationsdb.New(tx)
		if err := q.SetScore(ctx, scores).Close(); err != nil {
			return fmt.Errorf("save evaluation scores: %w", err)
		}
		row, err := q.SaveEvaluation(ctx, evaluationsdb.SaveEvaluationParams{ID: e.ID, GeneralComment: general, Now: s.Clock.Now()})
		if err != nil {
			return fmt.Errorf("save evaluation: %w", err)
		}
		out = toEvaluation(row)
		return audit.Record(ctx, tx, audit.Entry{
			Action: "evaluation.saved", TargetType: "evaluation", TargetID: e.ID.String(),
			Details: map[string]any{"contractId": e.ContractID, "version": out.Version, "scores": len(in.Scores)},
		})
	})
	return out, err
}

// signingOrder lists who signs, in order, and the status awaiting each.
var signingOrder = []struct {
	role   auth.Role
	status Status
	next   Status
}{
	{auth.Tutor, InProgress, AwaitingApprentice},
	{auth.Apprentice, AwaitingApprentice, AwaitingAdviser},
	{auth.Adviser, AwaitingAdviser, Signed},
}

// Sign records the caller's signature. Order: tutor (every criterion scored;
// the content is then frozen and its hash fixed), apprentice, adviser. Each
// signature stores signer, role, time and the content hash; it is audited,
// and the next signer is notified (EVALUATION_TO_SIGN) in the same
// transaction. The evaluation row is locked, so of two concurrent signatures
// exactly one succeeds.
//
// Errors: NOT_FOUND (outsider); FORBIDDEN (admin, or a signer whose turn it
// is not); CONFLICT (the caller already signed; all signed; the content no
// longer matches the tutor's hash); VALIDATION_FAILED with field "scores"
// (the tutor signs before every criterion is scored).
func (s *Service) Sign(ctx context.Context, id uuid.UUID) (Evaluation, error) {
	var out Evaluation
	err := postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		e, c, err := load(ctx, tx, id, true)
		if err != nil {
			return err
		}
		p, _ := auth.Require(ctx)
		role := c.RoleOf(p)
		if role == auth.Admin {
			return apperr.New(apperr.Forbidden, "only the tutor, the apprentice and the adviser sign")
		}
		sigs, err := signaturesOfOne(ctx, tx, e.ID)
		if err != nil {
			return err
		}
		for _, sg := range sigs {
			if sg.Role == role {
				return apperr.New(apperr.Conflict, "you have already signed this evaluation")
			}
		}
		if e.Status == Signed {
			return apperr.New(apperr.Conflict, "the evaluation is already signed")
		}
		step := -1
		for i, o := range signingOrder {
			if o.role == role {
				step = i
			}
		}
		if role == auth.Tutor && e.Status == Scheduled {
			return apperr.Invalid("scores", "score every criterion before signing")
		}
		if step < 0 || signingOrder[step].status != e.Status {
			return apperr.New(apperr.Forbidden, "it is not your turn to sign this evaluation")
		}
		t, err := getTemplate(ctx, tx, e.TemplateID)
		if err != nil {
			return err
		}
		criteria, err := criteriaOfOne(ctx, tx, e.ID)
		if err != nil {
			return err
		}
		hash := Hash(Canonical(e, t, criteria))
		if role == auth.Tutor {
			for _, cr := range criteria {
				if cr.Score == nil {
					return apperr.Invalid("scores", "score every criterion before signing").With("criterionId", cr.ID)
				}
			}
		} else if in, _ := Check(e, t, criteria, sigs); !in.Valid {
			return apperr.New(apperr.Conflict, "the content no longer matches what the tutor signed")
		}
		now := s.Clock.Now()
		q := evaluationsdb.New(tx)
		if err := q.InsertSignature(ctx, evaluationsdb.InsertSignatureParams{
			EvaluationID: e.ID, Role: string(role), SignerID: p.UserID, SignedAt: now, ContentHash: hash,
		}); err != nil {
			if postgres.IsUniqueViolation(err) {
				return apperr.New(apperr.Conflict, "you have already signed this evaluation")
			}
			return fmt.Errorf("sign evaluation: %w", err)
		}
		next := signingOrder[step].next
		// The conditional update is a second guard beside the row lock.
		row, err := q.AdvanceStatus(ctx, evaluationsdb.AdvanceStatusParams{
			ID: e.ID, Current: string(e.Status), Next: string(next), Now: now})
		if err != nil {
			return postgres.NotFound(err, "evaluation", "sign evaluation")
		}
		out = toEvaluation(row)
		if err := audit.Record(ctx, tx, audit.Entry{
			Action: "evaluation.signed", TargetType: "evaluation", TargetID: e.ID.String(),
			Details: map[string]any{"contractId": e.ContractID, "role": role, "contentHash": hash, "status": next},
		}); err != nil {
			return err
		}
		if role == auth.Tutor {
			// Signed by the tutor, the evaluation is final and the
			// apprentice's guardians may read it.
			err := guardians.Tell(ctx, tx, s.Notify, guardians.Event{ContractID: c.ID, Kind: "GUARDIAN_EVALUATION_SIGNED",
				Params: map[string]string{"title": e.Title}, Link: "jalon://evaluations/" + e.ID.String()})
			if err != nil {
				return err
			}
		}
		if next == Signed {
			return nil
		}
		return s.notifyNextSigner(ctx, tx, out, c, step+1)
	})
	return out, err
}

func (s *Service) notifyNextSigner(ctx context.Context, tx pgx.Tx, e Evaluation, c contracts.Contract, step int) error {
	to := c.ApprenticeID
	if signingOrder[step].role == auth.Adviser {
		to = c.AdviserID
	}
	apprentice, err := evaluationsdb.New(tx).UserName(ctx, c.ApprenticeID)
	if err != nil {
		return fmt.Errorf("notify next signer: %w", err)
	}
	return s.Notify.Send(ctx, tx, []uuid.UUID{to}, notify.Message{
		Kind: "EVALUATION_TO_SIGN",
		Params: map[string]string{
			"title":      e.Title,
			"apprentice": apprentice,
			"dueDate":    e.DueDate.Format("2006-01-02"),
			"role":       string(signingOrder[step].role),
		},
		Link: "jalon://evaluations/" + e.ID.String(),
	})
}
