package evaluations

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"jalon/internal/auth"
	"jalon/internal/contracts"
)

// benchDocument is a signed evaluation of eight scored criteria with
// comments, about the size of a real one.
func benchDocument() document {
	now := time.Date(2026, 3, 18, 9, 0, 0, 0, time.UTC)
	d := document{
		e: Evaluation{ID: uuid.New(), Slot: "M6", Title: "Évaluation périodique", DueDate: now, Status: Signed,
			GeneralComment: "Très bon travail ; Łukasz progresse vite. Удачи!"},
		t:        Template{ScaleMin: 1, ScaleMax: 4, ScaleLabels: []ScaleLabel{{Value: 3, FR: "Acquis"}, {Value: 4, FR: "Maîtrisé"}}},
		names:    map[uuid.UUID]string{},
		codes:    map[uuid.UUID]string{},
		contract: contracts.Contract{StartDate: now.AddDate(0, -6, 0), EndDate: now.AddDate(2, 0, 0)},
		company:  "Menuiserie Wiśniewski", trade: "Menuisier (T-1)",
	}
	d.apprentice, d.tutor, d.adviser = "Łukasz Wiśniewski", "Şahin Yılmaz", "Ελένη Παπαδοπούλου"
	for i := 1; i <= 8; i++ {
		score := 3 + i%2
		d.criteria = append(d.criteria, Criterion{Position: i, Label: "Lit un plan à l'échelle", Description: "Travaille avec précision",
			Score: &score, Comment: "Maîtrise les plans ; Țurcanu Ștefan l'a aidé"})
	}
	for _, r := range []auth.Role{auth.Tutor, auth.Apprentice, auth.Adviser} {
		id := uuid.New()
		d.names[id] = "Nguyễn Thị Ánh"
		d.sigs = append(d.sigs, Signature{Role: r, SignerID: id, SignedAt: now, ContentHash: Hash(Canonical(d.e, d.t, d.criteria))})
	}
	return d
}

// BenchmarkRenderPDF measures one evaluation PDF (layout, fonts, output),
// without the database.
func BenchmarkRenderPDF(b *testing.B) {
	d, tx, now := benchDocument(), pdfText("FR"), time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := renderPDF(d, tx, now); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPDFSafe pins what reaches the PDF: letters of the covered alphabets
// unchanged, decomposed input composed, control characters tamed, and
// whatever the fonts cannot draw (emoji, CJK, right-to-left scripts, which
// fpdf would print unjoined and in the wrong order) as U+FFFD.
func TestPDFSafe(t *testing.T) {
	for in, want := range map[string]string{
		"Łukasz Wiśniewski, Şahin Yılmaz, Țurcanu Ștefan": "Łukasz Wiśniewski, Şahin Yılmaz, Țurcanu Ștefan",
		"Nguyễn Thị Ánh, Ελένη Παπαδοπούλου, Ἀθηνᾶ":       "Nguyễn Thị Ánh, Ελένη Παπαδοπούλου, Ἀθηνᾶ",
		"Дмитрий Иванов, Ґанна, Zoë Ørsted-Åberg, 12 €":   "Дмитрий Иванов, Ґанна, Zoë Ørsted-Åberg, 12 €",
		"Nguye\u0302\u0303n":          "Nguyễn", // typed decomposed
		"ligne 1\r\nligne 2\tfin\x00": "ligne 1\nligne 2 fin ",
		"Bravo 👍":                     "Bravo \uFFFD",
		"王伟":                          "\uFFFD\uFFFD",
		"محمد":                        "\uFFFD\uFFFD\uFFFD\uFFFD",
		"\U0001D400 \uE000":           "\uFFFD \uFFFD", // past U+FFFF, private use
	} {
		if got := pdfSafe(in); got != want {
			t.Errorf("pdfSafe(%q) = %q, want %q", in, got, want)
		}
	}
	if !drawable()[missingGlyph] {
		t.Error("the fonts cannot draw the replacement character")
	}
}
