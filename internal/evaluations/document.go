package evaluations

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"jalon/internal/auth"
	"jalon/internal/evaluations/evaluationsdb"
	"jalon/internal/i18n"
	"jalon/internal/pdf"
	"jalon/internal/postgres"
)

// PDFPath is the path of an evaluation's PDF.
func PDFPath(id uuid.UUID) string { return "/evaluations/" + id.String() + ".pdf" }

// PDFURLTTL is how long a signed PDF link (Evaluation.pdfUrl) works.
const PDFURLTTL = 15 * time.Minute

// PDFURL returns a link to the evaluation's PDF that works without a token
// for PDFURLTTL (Evaluation.pdfUrl; whoever asks for it has seen the
// evaluation).
func (s *Service) PDFURL(id uuid.UUID) string { return s.URLs.Sign(PDFPath(id), PDFURLTTL) }

// PDF renders the evaluation as a PDF in locale (fr, nl, de or en; the
// caller's language when empty), after the same authorization as Get
// (NOT_FOUND for outsiders).
func (s *Service) PDF(ctx context.Context, id uuid.UUID, locale string) ([]byte, error) {
	e, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if locale == "" {
		p, _ := auth.Require(ctx)
		// Unknown or unreadable: the PDF's default language.
		locale, _ = s.q().UserLocale(ctx, p.UserID)
	}
	return s.render(ctx, e, locale)
}

// PDFOfLink renders the evaluation as a PDF in locale (French when empty)
// for a request made to a link from PDFURL: verify the link with
// s.URLs.Verify first, it is the only authorization. NOT_FOUND when the
// evaluation does not exist.
func (s *Service) PDFOfLink(ctx context.Context, id uuid.UUID, locale string) ([]byte, error) {
	found, errs := GetMany(ctx, s.DB, []uuid.UUID{id})
	if errs != nil {
		return nil, errs[0]
	}
	return s.render(ctx, found[0], locale)
}

func (s *Service) render(ctx context.Context, e Evaluation, locale string) ([]byte, error) {
	d, err := document(ctx, s.DB, e, i18n.Resolve(locale))
	if err != nil {
		return nil, err
	}
	return pdf.RenderEvaluation(d, locale, s.Clock.Now())
}

// document gathers what the PDF of e shows, with score labels in locale.
func document(ctx context.Context, db postgres.DB, e Evaluation, locale string) (pdf.Evaluation, error) {
	q := evaluationsdb.New(db)
	t, err := getTemplate(ctx, db, e.TemplateID)
	if err != nil {
		return pdf.Evaluation{}, err
	}
	criteria, err := criteriaOfOne(ctx, db, e.ID)
	if err != nil {
		return pdf.Evaluation{}, err
	}
	sigs, err := signaturesOfOne(ctx, db, e.ID)
	if err != nil {
		return pdf.Evaluation{}, err
	}
	parties, err := q.DocumentParties(ctx, e.ContractID)
	if err != nil {
		return pdf.Evaluation{}, fmt.Errorf("evaluation pdf: %w", err)
	}
	signers, err := q.DocumentSigners(ctx, e.ID)
	if err != nil {
		return pdf.Evaluation{}, fmt.Errorf("evaluation pdf: %w", err)
	}
	codes, err := q.CriterionCodes(ctx, e.ID)
	if err != nil {
		return pdf.Evaluation{}, fmt.Errorf("evaluation pdf: %w", err)
	}
	d := pdf.Evaluation{
		Title: e.Title, Slot: e.Slot, DueDate: e.DueDate, Status: string(e.Status), GeneralComment: e.GeneralComment,
		ScaleMin: t.ScaleMin, ScaleMax: t.ScaleMax,
		Apprentice: parties.Apprentice, Company: parties.Company, Tutor: parties.Tutor, Adviser: parties.Adviser,
		Trade: parties.Trade, ContractStart: parties.StartDate, ContractEnd: parties.EndDate,
		ContentHash: Hash(Canonical(e, t, criteria)),
	}
	codeOf := make(map[uuid.UUID]string, len(codes))
	for _, c := range codes {
		codeOf[c.CompetencyID] = c.Code
	}
	for _, c := range criteria {
		line := pdf.Criterion{Position: c.Position, Label: c.Label, Description: c.Description, Score: c.Score, Comment: c.Comment}
		if c.CompetencyID != nil {
			line.Code = codeOf[*c.CompetencyID]
		}
		if c.Score != nil {
			line.ScoreLabel = t.Label(*c.Score, locale)
		}
		d.Criteria = append(d.Criteria, line)
	}
	nameOf := make(map[uuid.UUID]string, len(signers))
	for _, s := range signers {
		nameOf[s.SignerID] = s.Name
	}
	byRole := make(map[auth.Role]Signature, len(sigs))
	for _, s := range sigs {
		byRole[s.Role] = s
	}
	for _, o := range signingOrder {
		line := pdf.Signature{Role: string(o.role)}
		if s, ok := byRole[o.role]; ok {
			line.Signed, line.Signer, line.SignedAt, line.ContentHash = true, nameOf[s.SignerID], s.SignedAt, s.ContentHash
		}
		d.Signatures = append(d.Signatures, line)
	}
	switch in, ok := Check(e, t, criteria, sigs); {
	case !ok:
		d.Integrity = pdf.Unsigned
	case in.Valid:
		d.Integrity = pdf.Valid
	default:
		d.Integrity = pdf.Broken
	}
	return d, nil
}
