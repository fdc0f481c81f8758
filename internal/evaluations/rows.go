package evaluations

import (
	"jalon/internal/auth"
	"jalon/internal/contracts"
	"jalon/internal/evaluations/evaluationsdb"
)

// Conversions from the rows evaluationsdb returns to the domain types (the
// queries count in int32, the domain in int).

func mapAll[R, T any](rows []R, conv func(R) T) []T {
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = conv(r)
	}
	return out
}

func toEvaluation(r evaluationsdb.Evaluation) Evaluation {
	return Evaluation{
		ID: r.ID, ContractID: r.ContractID, TemplateID: r.TemplateID, Slot: r.Slot, Title: r.Title,
		DueDate: r.DueDate, Status: Status(r.Status), Version: int(r.Version), GeneralComment: r.GeneralComment,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

func toCriterion(r evaluationsdb.EvaluationCriterium) Criterion {
	return Criterion{
		ID: r.ID, EvaluationID: r.EvaluationID, Position: int(r.Position), CompetencyID: r.CompetencyID,
		Label: r.Label, Description: r.Description, Score: intPtr(r.Score), Comment: r.Comment,
	}
}

func toSignature(r evaluationsdb.EvaluationSignature) Signature {
	return Signature{EvaluationID: r.EvaluationID, Role: auth.Role(r.Role), SignerID: r.SignerID,
		SignedAt: r.SignedAt, ContentHash: r.ContentHash}
}

func toTemplateCriterion(r evaluationsdb.EvaluationTemplateCriterium) TemplateCriterion {
	return TemplateCriterion{ID: r.ID, TemplateID: r.TemplateID, Position: int(r.Position),
		CompetencyID: r.CompetencyID, Label: r.Label, Description: r.Description}
}

func toContract(r evaluationsdb.Contract) contracts.Contract {
	return contracts.Contract{
		ID: r.ID, ApprenticeID: r.ApprenticeID, CompanyID: r.CompanyID, TutorID: r.TutorID, AdviserID: r.AdviserID,
		CentreID: r.CentreID, TradeID: r.TradeID, StartDate: r.StartDate, EndDate: r.EndDate,
		WeeklyHours: r.WeeklyHours, Status: contracts.Status(r.Status), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

func intPtr(p *int32) *int {
	if p == nil {
		return nil
	}
	v := int(*p)
	return &v
}

func int32Ptr(p *int) *int32 {
	if p == nil {
		return nil
	}
	v := int32(*p)
	return &v
}

func ints(s []int32) []int {
	out := make([]int, len(s))
	for i, v := range s {
		out[i] = int(v)
	}
	return out
}

func int32s(s []int) []int32 {
	out := make([]int32, len(s))
	for i, v := range s {
		out[i] = int32(v)
	}
	return out
}
