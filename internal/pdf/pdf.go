// Package pdf lays out printable documents. Today it has one: a signed
// evaluation (Evaluation), rendered from plain data that package
// evaluations gathers; this package knows nothing of the database or of
// who may read what. Fixed texts come from package i18n (section "pdf"),
// names print in the embedded DejaVu Sans (fonts.go).
package pdf

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"jalon/internal/clock"
	"jalon/internal/i18n"
)

// Evaluation is what an evaluation's PDF shows.
type Evaluation struct {
	Title          string
	Slot           string    // "M3" = 3 months after the start, "END" = before the end
	DueDate        time.Time // a calendar date
	Status         string    // SCHEDULED, IN_PROGRESS, AWAITING_APPRENTICE, AWAITING_ADVISER, SIGNED
	GeneralComment string
	ScaleMin       int
	ScaleMax       int

	Apprentice, Company, Tutor, Adviser, Trade string
	ContractStart, ContractEnd                 time.Time

	Criteria []Criterion
	// Signatures has one line per signer role, in signing order.
	Signatures []Signature
	// ContentHash is the hash of the content as stored now.
	ContentHash string
	Integrity   Integrity
}

// Criterion is one scored line.
type Criterion struct {
	Position    int
	Label       string
	Code        string // the competency's code, "" for none
	Description string
	Score       *int   // nil: not scored
	ScoreLabel  string // the score's label in the document's language, "" for none
	Comment     string
}

// Signature is one signer role's line: signed (Signer, SignedAt,
// ContentHash) or not yet (Signed false).
type Signature struct {
	Role        string // TUTOR, APPRENTICE, ADVISER
	Signed      bool
	Signer      string
	SignedAt    time.Time
	ContentHash string
}

// Integrity is what the check of the signatures against the content found.
type Integrity int

const (
	// Unsigned: nobody has signed, there is nothing to check.
	Unsigned Integrity = iota
	// Valid: every signature covers the content as stored now.
	Valid
	// Broken: the content no longer matches a signature.
	Broken
)

// texts returns the fixed texts of the evaluation PDF in locale.
type texts struct{ locale string }

func (t texts) get(key string) string {
	s, _ := i18n.Text(t.locale, "pdf."+key, nil)
	return s
}

func (t texts) slot(slot string) string {
	if n, err := strconv.Atoi(strings.TrimPrefix(slot, "M")); err == nil && strings.HasPrefix(slot, "M") {
		s, _ := i18n.Text(t.locale, "pdf.slot.months", map[string]string{"months": strconv.Itoa(n)})
		return s
	}
	return t.get("slot.end")
}

// RenderEvaluation lays d out on A4 in locale (fr, nl, de or en; French
// otherwise), dated now, in the embedded DejaVu Sans (see fonts.go); every
// text goes through safe. Hashes are hexadecimal, so they keep the core font
// Courier.
func RenderEvaluation(d Evaluation, locale string, now time.Time) ([]byte, error) {
	tx := texts{locale: i18n.Resolve(locale)}
	pdf := fpdf.New("P", "mm", "A4", "")
	addFonts(pdf)
	pdf.SetCreationDate(now)
	pdf.SetModificationDate(now)
	pdf.SetMargins(18, 16, 18)
	pdf.SetAutoPageBreak(true, 18)
	pdf.AliasNbPages("{nb}")
	tr := safe
	pdf.SetTitle(tr(tx.get("heading")+" - "+d.Title), true)
	pdf.SetAuthor("Jalon", true)
	pdf.SetCreator("Jalon", true)
	pdf.SetFooterFunc(func() {
		pdf.SetY(-13)
		pdf.SetFont(fontFamily, "", 7.5)
		pdf.SetTextColor(110, 110, 110)
		pdf.CellFormat(0, 4, tr(fmt.Sprintf("%s %s · %s %d/{nb}", tx.get("generated"),
			now.In(clock.Brussels).Format("02/01/2006 15:04"), tx.get("page"), pdf.PageNo())), "", 0, "R", false, 0, "")
	})
	pdf.AddPage()
	width, _ := pdf.GetPageSize()
	left, _, right, _ := pdf.GetMargins()
	inner := width - left - right

	// Title.
	pdf.SetTextColor(20, 40, 80)
	pdf.SetFont(fontFamily, "B", 16)
	pdf.MultiCell(inner, 7, tr(d.Title), "", "L", false)
	pdf.SetFont(fontFamily, "", 10)
	pdf.SetTextColor(80, 80, 80)
	pdf.CellFormat(inner, 5, tr(fmt.Sprintf("%s · %s · %s %s · %s: %s", tx.get("heading"), tx.slot(d.Slot), tx.get("due"),
		d.DueDate.Format("02/01/2006"), tx.get("status"), tx.get("state."+d.Status))), "", 1, "L", false, 0, "")
	pdf.Ln(3)

	// Who and what.
	pdf.SetTextColor(0, 0, 0)
	info := [][2]string{
		{tx.get("apprentice"), d.Apprentice},
		{tx.get("company"), d.Company},
		{tx.get("tutor"), d.Tutor},
		{tx.get("adviser"), d.Adviser},
		{tx.get("trade"), d.Trade},
		{tx.get("contract"), d.ContractStart.Format("02/01/2006") + " - " + d.ContractEnd.Format("02/01/2006")},
		{tx.get("period"), tx.slot(d.Slot) + " (" + tx.get("due") + " " + d.DueDate.Format("02/01/2006") + ")"},
	}
	pdf.SetFillColor(240, 243, 248)
	for i, row := range info {
		pdf.SetFont(fontFamily, "B", 9.5)
		pdf.CellFormat(45, 6, tr(row[0]), "", 0, "L", i%2 == 0, 0, "")
		pdf.SetFont(fontFamily, "", 9.5)
		pdf.CellFormat(inner-45, 6, tr(row[1]), "", 1, "L", i%2 == 0, 0, "")
	}
	pdf.Ln(4)

	// Criteria.
	section := func(title string) {
		pdf.SetFont(fontFamily, "B", 12)
		pdf.SetTextColor(20, 40, 80)
		pdf.CellFormat(inner, 7, tr(title), "B", 1, "L", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
		pdf.Ln(1.5)
	}
	section(fmt.Sprintf("%s (%s %d-%d)", tx.get("criteria"), tx.get("score"), d.ScaleMin, d.ScaleMax))
	for _, c := range d.Criteria {
		label := fmt.Sprintf("%d. %s", c.Position, c.Label)
		if c.Code != "" {
			label += " [" + c.Code + "]"
		}
		score := tx.get("notScored")
		if c.Score != nil {
			score = fmt.Sprintf("%d/%d", *c.Score, d.ScaleMax)
			if c.ScoreLabel != "" {
				score += " - " + c.ScoreLabel
			}
		}
		if _, y := pdf.GetXY(); y > 250 {
			pdf.AddPage()
		}
		y0 := pdf.GetY()
		pdf.SetFont(fontFamily, "", 9.5)
		pdf.SetXY(left+inner-50, y0)
		pdf.CellFormat(50, 5.5, tr(score), "", 0, "R", false, 0, "")
		pdf.SetXY(left, y0)
		pdf.SetFont(fontFamily, "B", 9.5)
		pdf.MultiCell(inner-52, 5.5, tr(label), "", "L", false)
		if c.Description != "" {
			pdf.SetFont(fontFamily, "I", 8.5)
			pdf.SetTextColor(90, 90, 90)
			pdf.MultiCell(inner, 4.2, tr(c.Description), "", "L", false)
			pdf.SetTextColor(0, 0, 0)
		}
		if c.Comment != "" {
			pdf.SetFont(fontFamily, "", 9)
			pdf.MultiCell(inner, 4.5, tr(tx.get("comment")+" : "+c.Comment), "", "L", false)
		}
		pdf.Ln(1.5)
	}
	if d.GeneralComment != "" {
		pdf.Ln(2)
		section(tx.get("general"))
		pdf.SetFont(fontFamily, "", 9.5)
		pdf.MultiCell(inner, 5, tr(d.GeneralComment), "", "L", false)
	}

	// Signatures and hash.
	pdf.Ln(3)
	section(tx.get("signatures"))
	for _, s := range d.Signatures {
		pdf.SetFont(fontFamily, "B", 9.5)
		pdf.CellFormat(45, 5.5, tr(tx.get("role."+s.Role)), "", 0, "L", false, 0, "")
		pdf.SetFont(fontFamily, "", 9.5)
		if s.Signed {
			pdf.CellFormat(inner-45, 5.5, tr(s.Signer+" - "+s.SignedAt.In(clock.Brussels).Format("02/01/2006 15:04")),
				"", 1, "L", false, 0, "")
			pdf.SetFont("Courier", "", 7.5)
			pdf.SetX(left + 45)
			pdf.CellFormat(inner-45, 4, s.ContentHash, "", 1, "L", false, 0, "")
		} else {
			pdf.CellFormat(inner-45, 5.5, tr(tx.get("notSigned")), "", 1, "L", false, 0, "")
		}
	}
	pdf.Ln(3)
	pdf.SetFont(fontFamily, "B", 9.5)
	pdf.CellFormat(inner, 5.5, tr(tx.get("hash")), "", 1, "L", false, 0, "")
	pdf.SetFont("Courier", "B", 9)
	pdf.CellFormat(inner, 5, d.ContentHash, "", 1, "L", false, 0, "")
	pdf.SetFont(fontFamily, "", 8.5)
	switch d.Integrity {
	case Unsigned:
		pdf.CellFormat(inner, 5, tr(tx.get("unsigned")), "", 1, "L", false, 0, "")
	case Valid:
		pdf.SetTextColor(20, 110, 40)
		pdf.CellFormat(inner, 5, tr(tx.get("valid")), "", 1, "L", false, 0, "")
	default:
		pdf.SetTextColor(180, 20, 20)
		pdf.SetFont(fontFamily, "B", 9)
		pdf.CellFormat(inner, 5, tr(tx.get("broken")), "", 1, "L", false, 0, "")
	}
	pdf.SetTextColor(90, 90, 90)
	pdf.SetFont(fontFamily, "I", 8)
	pdf.MultiCell(inner, 4, tr(tx.get("hashNote")), "", "L", false)

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("render evaluation pdf: %w", err)
	}
	return buf.Bytes(), nil
}
