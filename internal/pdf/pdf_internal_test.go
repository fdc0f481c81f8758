package pdf

import (
	"strings"
	"testing"
	"time"
)

// benchDocument is a signed evaluation of eight scored criteria with
// comments, about the size of a real one.
func benchDocument() Evaluation {
	now := time.Date(2026, 3, 18, 9, 0, 0, 0, time.UTC)
	hash := strings.Repeat("3f", 32)
	d := Evaluation{
		Title: "Évaluation périodique", Slot: "M6", DueDate: now, Status: "SIGNED",
		GeneralComment: "Très bon travail ; Łukasz progresse vite. Удачи!",
		ScaleMin:       1, ScaleMax: 4,
		Apprentice: "Łukasz Wiśniewski", Tutor: "Şahin Yılmaz", Adviser: "Ελένη Παπαδοπούλου",
		Company: "Menuiserie Wiśniewski", Trade: "Menuisier (T-1)",
		ContractStart: now.AddDate(0, -6, 0), ContractEnd: now.AddDate(2, 0, 0),
		ContentHash: hash, Integrity: Valid,
	}
	labels := map[int]string{3: "Acquis", 4: "Maîtrisé"}
	for i := 1; i <= 8; i++ {
		score := 3 + i%2
		d.Criteria = append(d.Criteria, Criterion{Position: i, Label: "Lit un plan à l'échelle", Description: "Travaille avec précision",
			Score: &score, ScoreLabel: labels[score], Comment: "Maîtrise les plans ; Țurcanu Ștefan l'a aidé"})
	}
	for _, r := range []string{"TUTOR", "APPRENTICE", "ADVISER"} {
		d.Signatures = append(d.Signatures, Signature{Role: r, Signed: true, Signer: "Nguyễn Thị Ánh", SignedAt: now, ContentHash: hash})
	}
	return d
}

// BenchmarkRenderEvaluation measures one evaluation PDF (layout, fonts,
// output), without the database.
func BenchmarkRenderEvaluation(b *testing.B) {
	d, now := benchDocument(), time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := RenderEvaluation(d, "fr", now); err != nil {
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
		if got := safe(in); got != want {
			t.Errorf("safe(%q) = %q, want %q", in, got, want)
		}
	}
	if !drawable()[missingGlyph] {
		t.Error("the fonts cannot draw the replacement character")
	}
}
