package evaluations

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
	"github.com/google/uuid"

	"jalon/internal/apperr"
	"jalon/internal/auth"
	"jalon/internal/clock"
	"jalon/internal/contracts"
	"jalon/internal/httpserver"
	"jalon/internal/postgres"
	"jalon/internal/signedurl"
)

// PDFPath is the path of an evaluation's PDF.
func PDFPath(id uuid.UUID) string { return "/evaluations/" + id.String() + ".pdf" }

// PDFURLTTL is how long a signed PDF link (Evaluation.pdfUrl) works.
const PDFURLTTL = 15 * time.Minute

// document is everything the PDF shows.
type document struct {
	e          Evaluation
	t          Template
	criteria   []Criterion
	sigs       []Signature
	names      map[uuid.UUID]string // user id → full name
	apprentice string
	tutor      string
	adviser    string
	company    string
	trade      string
	codes      map[uuid.UUID]string // competency id → code
	contract   contracts.Contract
}

func loadDocument(ctx context.Context, db postgres.DB, e Evaluation) (document, error) {
	d := document{e: e, names: map[uuid.UUID]string{}, codes: map[uuid.UUID]string{}}
	var err error
	if d.t, err = getTemplate(ctx, db, e.TemplateID); err != nil {
		return d, err
	}
	if d.criteria, err = criteriaOf(ctx, db, e.ID); err != nil {
		return d, err
	}
	if d.sigs, err = signaturesOf(ctx, db, e.ID); err != nil {
		return d, err
	}
	d.contract, err = contracts.Scan(db.QueryRow(ctx, `SELECT `+contracts.Columns+` FROM contracts c WHERE c.id = $1`, e.ContractID))
	if err != nil {
		return d, fmt.Errorf("evaluation pdf: %w", err)
	}
	c := d.contract
	err = db.QueryRow(ctx, `SELECT co.name, tr.name || ' (' || tr.code || ')' FROM companies co, trades tr
		WHERE co.id = $1 AND tr.id = $2`, c.CompanyID, c.TradeID).Scan(&d.company, &d.trade)
	if err != nil {
		return d, fmt.Errorf("evaluation pdf: %w", err)
	}
	ids := []uuid.UUID{c.ApprenticeID, c.TutorID, c.AdviserID}
	for _, s := range d.sigs {
		ids = append(ids, s.SignerID)
	}
	rows, err := db.Query(ctx, `SELECT id, first_name || ' ' || last_name FROM users WHERE id = ANY($1::uuid[])`, ids)
	if err != nil {
		return d, fmt.Errorf("evaluation pdf: %w", err)
	}
	for rows.Next() {
		var id uuid.UUID
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			rows.Close()
			return d, fmt.Errorf("evaluation pdf: %w", err)
		}
		d.names[id] = name
	}
	rows.Close()
	d.apprentice, d.tutor, d.adviser = d.names[c.ApprenticeID], d.names[c.TutorID], d.names[c.AdviserID]
	rows, err = db.Query(ctx, `SELECT cr.competency_id, co.code FROM evaluation_criteria cr
		JOIN competencies co ON co.id = cr.competency_id WHERE cr.evaluation_id = $1`, e.ID)
	if err != nil {
		return d, fmt.Errorf("evaluation pdf: %w", err)
	}
	for rows.Next() {
		var id uuid.UUID
		var code string
		if err := rows.Scan(&id, &code); err != nil {
			rows.Close()
			return d, fmt.Errorf("evaluation pdf: %w", err)
		}
		d.codes[id] = code
	}
	rows.Close()
	return d, rows.Err()
}

// PDF renders the evaluation as a PDF in locale (FR, NL, DE or EN), after
// the same authorization as Get (NOT_FOUND for outsiders).
func (s *Service) PDF(ctx context.Context, id uuid.UUID, locale string) ([]byte, error) {
	e, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.render(ctx, e, locale)
}

func (s *Service) render(ctx context.Context, e Evaluation, locale string) ([]byte, error) {
	d, err := loadDocument(ctx, s.DB, e)
	if err != nil {
		return nil, err
	}
	return renderPDF(d, pdfText(locale), s.Clock.Now())
}

// PDFHandler serves GET /evaluations/{file} with file = "<id>.pdf". The
// request is authorized either by a valid signed URL (Evaluation.pdfUrl) or
// by the caller's bearer token (wrap the handler with the authentication
// middleware): members of the contract get the PDF, anyone else 404, an
// anonymous request without a valid signature 401. ?lang=fr|nl|de|en picks
// the language (default: the caller's, else French).
func (s *Service) PDFHandler(urls *signedurl.Signer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		file := r.PathValue("file")
		id, err := uuid.Parse(strings.TrimSuffix(file, ".pdf"))
		if err != nil || !strings.HasSuffix(file, ".pdf") {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		locale := strings.ToUpper(r.URL.Query().Get("lang"))
		var body []byte
		switch p, authenticated := auth.FromContext(r.Context()); {
		case r.URL.Query().Has("sig") && urls.Verify(r) == nil:
			var e Evaluation
			e, err = scan(s.DB.QueryRow(r.Context(), `SELECT `+columns+` FROM evaluations e WHERE e.id = $1`, id))
			if err != nil {
				err = postgres.NotFound(err, "evaluation", "evaluation pdf")
				break
			}
			body, err = s.render(r.Context(), e, locale)
		case authenticated:
			if locale == "" {
				_ = s.DB.QueryRow(r.Context(), `SELECT locale FROM users WHERE id = $1`, p.UserID).Scan(&locale)
			}
			body, err = s.PDF(r.Context(), id, locale)
		case r.URL.Query().Has("sig"):
			http.Error(w, "invalid or expired link", http.StatusForbidden)
			return
		default:
			w.Header().Set("WWW-Authenticate", "Bearer")
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		if err != nil {
			if apperr.CodeOf(err) == apperr.NotFound {
				http.Error(w, "not found", http.StatusNotFound)
				return
			}
			httpserver.ServerError(w, r, err, "evaluation pdf")
			return
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", `inline; filename="evaluation-`+id.String()+`.pdf"`)
		w.Header().Set("Cache-Control", "private, no-store")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})
}

// pdfStrings are the fixed texts of the PDF in one language.
type pdfStrings struct {
	locale, heading, apprentice, company, tutor, adviser, trade, period, due, contract,
	status, criteria, score, comment, notScored, general, signatures, notSigned,
	hash, hashNote, valid, broken, unsigned, page, generated string
	roles  map[string]string
	slotM  string // "%d months after the start"
	slotE  string // "before the end"
	states map[Status]string
}

var pdfTexts = map[string]pdfStrings{
	"FR": {locale: "FR", heading: "Évaluation", apprentice: "Apprenti·e", company: "Entreprise", tutor: "Tuteur·rice",
		adviser: "Délégué·e à la tutelle", trade: "Métier", period: "Période", due: "échéance", contract: "Contrat",
		status: "Statut", criteria: "Critères", score: "Note", comment: "Commentaire", notScored: "non évalué",
		general: "Commentaire général", signatures: "Signatures", notSigned: "pas encore signé",
		hash: "Empreinte SHA-256 du contenu", hashNote: "Recalculée à partir du contenu enregistré ; toute modification après la signature du tuteur la change.",
		valid: "Intégrité vérifiée", broken: "INTÉGRITÉ ROMPUE : le contenu ne correspond plus aux signatures", unsigned: "Pas encore signée",
		page: "Page", generated: "Généré le",
		roles: map[string]string{"TUTOR": "Tuteur·rice", "APPRENTICE": "Apprenti·e", "ADVISER": "Délégué·e"},
		slotM: "%d mois après le début", slotE: "avant la fin du contrat",
		states: map[Status]string{Scheduled: "planifiée", InProgress: "en cours", AwaitingApprentice: "en attente de l'apprenti·e",
			AwaitingAdviser: "en attente du délégué", Signed: "signée"}},
	"NL": {locale: "NL", heading: "Evaluatie", apprentice: "Leerling", company: "Onderneming", tutor: "Mentor",
		adviser: "Trajectbegeleider", trade: "Beroep", period: "Periode", due: "vervaldatum", contract: "Overeenkomst",
		status: "Status", criteria: "Criteria", score: "Score", comment: "Opmerking", notScored: "niet beoordeeld",
		general: "Algemene opmerking", signatures: "Handtekeningen", notSigned: "nog niet ondertekend",
		hash: "SHA-256-vingerafdruk van de inhoud", hashNote: "Herberekend uit de opgeslagen inhoud; elke wijziging na de handtekening van de mentor verandert hem.",
		valid: "Integriteit gecontroleerd", broken: "INTEGRITEIT GESCHONDEN: de inhoud komt niet meer overeen met de handtekeningen", unsigned: "Nog niet ondertekend",
		page: "Pagina", generated: "Gemaakt op",
		roles: map[string]string{"TUTOR": "Mentor", "APPRENTICE": "Leerling", "ADVISER": "Trajectbegeleider"},
		slotM: "%d maanden na de start", slotE: "voor het einde van de overeenkomst",
		states: map[Status]string{Scheduled: "gepland", InProgress: "bezig", AwaitingApprentice: "wacht op de leerling",
			AwaitingAdviser: "wacht op de begeleider", Signed: "ondertekend"}},
	"DE": {locale: "DE", heading: "Beurteilung", apprentice: "Auszubildende·r", company: "Betrieb", tutor: "Ausbilder·in",
		adviser: "Ausbildungsberater·in", trade: "Beruf", period: "Zeitraum", due: "fällig", contract: "Vertrag",
		status: "Status", criteria: "Kriterien", score: "Note", comment: "Kommentar", notScored: "nicht bewertet",
		general: "Allgemeiner Kommentar", signatures: "Unterschriften", notSigned: "noch nicht unterschrieben",
		hash: "SHA-256-Prüfsumme des Inhalts", hashNote: "Aus dem gespeicherten Inhalt neu berechnet; jede Änderung nach der Unterschrift des Ausbilders ändert sie.",
		valid: "Integrität geprüft", broken: "INTEGRITÄT VERLETZT: der Inhalt entspricht nicht mehr den Unterschriften", unsigned: "Noch nicht unterschrieben",
		page: "Seite", generated: "Erstellt am",
		roles: map[string]string{"TUTOR": "Ausbilder·in", "APPRENTICE": "Auszubildende·r", "ADVISER": "Berater·in"},
		slotM: "%d Monate nach Beginn", slotE: "vor Vertragsende",
		states: map[Status]string{Scheduled: "geplant", InProgress: "in Bearbeitung", AwaitingApprentice: "wartet auf Auszubildende·n",
			AwaitingAdviser: "wartet auf Berater·in", Signed: "unterschrieben"}},
	"EN": {locale: "EN", heading: "Evaluation", apprentice: "Apprentice", company: "Company", tutor: "Tutor",
		adviser: "Adviser", trade: "Trade", period: "Period", due: "due", contract: "Contract",
		status: "Status", criteria: "Criteria", score: "Score", comment: "Comment", notScored: "not scored",
		general: "General comment", signatures: "Signatures", notSigned: "not signed yet",
		hash: "SHA-256 fingerprint of the content", hashNote: "Recomputed from the stored content; any change after the tutor's signature changes it.",
		valid: "Integrity verified", broken: "INTEGRITY BROKEN: the content no longer matches the signatures", unsigned: "Not signed yet",
		page: "Page", generated: "Generated on",
		roles: map[string]string{"TUTOR": "Tutor", "APPRENTICE": "Apprentice", "ADVISER": "Adviser"},
		slotM: "%d months after the start", slotE: "before the end of the contract",
		states: map[Status]string{Scheduled: "scheduled", InProgress: "in progress", AwaitingApprentice: "awaiting the apprentice",
			AwaitingAdviser: "awaiting the adviser", Signed: "signed"}},
}

func pdfText(locale string) pdfStrings {
	if t, ok := pdfTexts[strings.ToUpper(locale)]; ok {
		return t
	}
	return pdfTexts["FR"]
}

func (tx pdfStrings) slot(slot string) string {
	if n, err := strconv.Atoi(strings.TrimPrefix(slot, "M")); err == nil && strings.HasPrefix(slot, "M") {
		return fmt.Sprintf(tx.slotM, n)
	}
	return tx.slotE
}

// renderPDF lays the document out on A4 in the embedded DejaVu Sans (see
// fonts.go); every text goes through pdfSafe. Hashes are hexadecimal, so
// they keep the core font Courier.
func renderPDF(d document, tx pdfStrings, now time.Time) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	addFonts(pdf)
	pdf.SetCreationDate(now)
	pdf.SetModificationDate(now)
	pdf.SetMargins(18, 16, 18)
	pdf.SetAutoPageBreak(true, 18)
	pdf.AliasNbPages("{nb}")
	tr := pdfSafe
	pdf.SetTitle(tr(tx.heading+" - "+d.e.Title), true)
	pdf.SetAuthor("Jalon", true)
	pdf.SetCreator("Jalon", true)
	pdf.SetFooterFunc(func() {
		pdf.SetY(-13)
		pdf.SetFont(pdfFont, "", 7.5)
		pdf.SetTextColor(110, 110, 110)
		pdf.CellFormat(0, 4, tr(fmt.Sprintf("%s %s · %s %d/{nb}", tx.generated,
			now.In(clock.Brussels).Format("02/01/2006 15:04"), tx.page, pdf.PageNo())), "", 0, "R", false, 0, "")
	})
	pdf.AddPage()
	width, _ := pdf.GetPageSize()
	left, _, right, _ := pdf.GetMargins()
	inner := width - left - right

	// Title.
	pdf.SetTextColor(20, 40, 80)
	pdf.SetFont(pdfFont, "B", 16)
	pdf.MultiCell(inner, 7, tr(d.e.Title), "", "L", false)
	pdf.SetFont(pdfFont, "", 10)
	pdf.SetTextColor(80, 80, 80)
	pdf.CellFormat(inner, 5, tr(fmt.Sprintf("%s · %s · %s %s · %s: %s", tx.heading, tx.slot(d.e.Slot), tx.due,
		d.e.DueDate.Format("02/01/2006"), tx.status, tx.states[d.e.Status])), "", 1, "L", false, 0, "")
	pdf.Ln(3)

	// Who and what.
	pdf.SetTextColor(0, 0, 0)
	info := [][2]string{
		{tx.apprentice, d.apprentice},
		{tx.company, d.company},
		{tx.tutor, d.tutor},
		{tx.adviser, d.adviser},
		{tx.trade, d.trade},
		{tx.contract, d.contract.StartDate.Format("02/01/2006") + " - " + d.contract.EndDate.Format("02/01/2006")},
		{tx.period, tx.slot(d.e.Slot) + " (" + tx.due + " " + d.e.DueDate.Format("02/01/2006") + ")"},
	}
	pdf.SetFillColor(240, 243, 248)
	for i, row := range info {
		pdf.SetFont(pdfFont, "B", 9.5)
		pdf.CellFormat(45, 6, tr(row[0]), "", 0, "L", i%2 == 0, 0, "")
		pdf.SetFont(pdfFont, "", 9.5)
		pdf.CellFormat(inner-45, 6, tr(row[1]), "", 1, "L", i%2 == 0, 0, "")
	}
	pdf.Ln(4)

	// Criteria.
	section := func(title string) {
		pdf.SetFont(pdfFont, "B", 12)
		pdf.SetTextColor(20, 40, 80)
		pdf.CellFormat(inner, 7, tr(title), "B", 1, "L", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
		pdf.Ln(1.5)
	}
	section(fmt.Sprintf("%s (%s %d-%d)", tx.criteria, tx.score, d.t.ScaleMin, d.t.ScaleMax))
	for _, c := range d.criteria {
		label := fmt.Sprintf("%d. %s", c.Position, c.Label)
		if c.CompetencyID != nil && d.codes[*c.CompetencyID] != "" {
			label += " [" + d.codes[*c.CompetencyID] + "]"
		}
		score := tx.notScored
		if c.Score != nil {
			score = fmt.Sprintf("%d/%d", *c.Score, d.t.ScaleMax)
			if l := d.t.Label(*c.Score, tx.locale); l != "" {
				score += " - " + l
			}
		}
		if _, y := pdf.GetXY(); y > 250 {
			pdf.AddPage()
		}
		y0 := pdf.GetY()
		pdf.SetFont(pdfFont, "", 9.5)
		pdf.SetXY(left+inner-50, y0)
		pdf.CellFormat(50, 5.5, tr(score), "", 0, "R", false, 0, "")
		pdf.SetXY(left, y0)
		pdf.SetFont(pdfFont, "B", 9.5)
		pdf.MultiCell(inner-52, 5.5, tr(label), "", "L", false)
		if c.Description != "" {
			pdf.SetFont(pdfFont, "I", 8.5)
			pdf.SetTextColor(90, 90, 90)
			pdf.MultiCell(inner, 4.2, tr(c.Description), "", "L", false)
			pdf.SetTextColor(0, 0, 0)
		}
		if c.Comment != "" {
			pdf.SetFont(pdfFont, "", 9)
			pdf.MultiCell(inner, 4.5, tr(tx.comment+" : "+c.Comment), "", "L", false)
		}
		pdf.Ln(1.5)
	}
	if d.e.GeneralComment != "" {
		pdf.Ln(2)
		section(tx.general)
		pdf.SetFont(pdfFont, "", 9.5)
		pdf.MultiCell(inner, 5, tr(d.e.GeneralComment), "", "L", false)
	}

	// Signatures and hash.
	pdf.Ln(3)
	section(tx.signatures)
	signed := map[string]Signature{}
	for _, s := range d.sigs {
		signed[string(s.Role)] = s
	}
	for _, o := range signingOrder {
		role := string(o.role)
		pdf.SetFont(pdfFont, "B", 9.5)
		pdf.CellFormat(45, 5.5, tr(tx.roles[role]), "", 0, "L", false, 0, "")
		pdf.SetFont(pdfFont, "", 9.5)
		if s, ok := signed[role]; ok {
			pdf.CellFormat(inner-45, 5.5, tr(d.names[s.SignerID]+" - "+s.SignedAt.In(clock.Brussels).Format("02/01/2006 15:04")),
				"", 1, "L", false, 0, "")
			pdf.SetFont("Courier", "", 7.5)
			pdf.SetX(left + 45)
			pdf.CellFormat(inner-45, 4, s.ContentHash, "", 1, "L", false, 0, "")
		} else {
			pdf.CellFormat(inner-45, 5.5, tr(tx.notSigned), "", 1, "L", false, 0, "")
		}
	}
	pdf.Ln(3)
	integrity, ok := Check(d.e, d.t, d.criteria, d.sigs)
	current := Hash(Canonical(d.e, d.t, d.criteria))
	pdf.SetFont(pdfFont, "B", 9.5)
	pdf.CellFormat(inner, 5.5, tr(tx.hash), "", 1, "L", false, 0, "")
	pdf.SetFont("Courier", "B", 9)
	pdf.CellFormat(inner, 5, current, "", 1, "L", false, 0, "")
	pdf.SetFont(pdfFont, "", 8.5)
	switch {
	case !ok:
		pdf.CellFormat(inner, 5, tr(tx.unsigned), "", 1, "L", false, 0, "")
	case integrity.Valid:
		pdf.SetTextColor(20, 110, 40)
		pdf.CellFormat(inner, 5, tr(tx.valid), "", 1, "L", false, 0, "")
	default:
		pdf.SetTextColor(180, 20, 20)
		pdf.SetFont(pdfFont, "B", 9)
		pdf.CellFormat(inner, 5, tr(tx.broken), "", 1, "L", false, 0, "")
	}
	pdf.SetTextColor(90, 90, 90)
	pdf.SetFont(pdfFont, "I", 8)
	pdf.MultiCell(inner, 4, tr(tx.hashNote), "", "L", false)

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("render evaluation pdf: %w", err)
	}
	return buf.Bytes(), nil
}
