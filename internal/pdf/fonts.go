package pdf

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"unicode"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/text/unicode/norm"
)

// The PDF's typeface is DejaVu Sans, shipped inside the binary so that
// names in any Latin, Greek or Cyrillic alphabet print (Łukasz, Şahin,
// Țurcanu, Nguyễn, Ελένη, Дмитрий), which the PDF core fonts (Windows-1252
// only) cannot. The files are subsets made by fonts/subset.sh (provenance
// and licence in fonts/LICENSE): fewer characters to parse per PDF and a
// smaller binary. fpdf embeds in each PDF only the glyphs that PDF uses.
var (
	//go:embed fonts/DejaVuSans.ttf
	fontRegular []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	fontBold []byte
	//go:embed fonts/DejaVuSans-Oblique.ttf
	fontItalic []byte
)

// fontFamily is the family name the fonts are registered under.
const fontFamily = "DejaVuSans"

// missingGlyph replaces what the fonts cannot draw; it is itself in them.
const missingGlyph = '\uFFFD'

// addFonts registers the embedded styles ("", "B", "I") on pdf. fpdf (v0.9)
// has no way to share a parsed font between documents: the parse result is
// unexported, and writing a document's subset (GenerateCutFont) rewrites the
// parsed font, so even a copy shared by hand would race. Each PDF therefore
// parses them again (≈ 37% of a render: parsing, then hashing the 64K-entry
// width table into a font id), and writing their subsets is another ≈ 40%
// (see BenchmarkRenderEvaluation and the README).
func addFonts(pdf *fpdf.Fpdf) {
	pdf.AddUTF8FontFromBytes(fontFamily, "", fontRegular)
	pdf.AddUTF8FontFromBytes(fontFamily, "B", fontBold)
	pdf.AddUTF8FontFromBytes(fontFamily, "I", fontItalic)
}

// drawable is the set of runes every embedded style has a glyph for, read
// once from their cmap tables. fpdf only maps the Basic Multilingual Plane
// (an emoji fails the whole document), so the set stops at U+FFFF.
var drawable = sync.OnceValue(func() []bool {
	has := make([]bool, 0x10000)
	for i := range has {
		has[i] = true
	}
	var buf sfnt.Buffer
	for _, ttf := range [][]byte{fontRegular, fontBold, fontItalic} {
		f, err := sfnt.Parse(ttf)
		if err != nil {
			panic(fmt.Sprintf("embedded PDF font: %v", err)) // the files are part of the build
		}
		for r := range has {
			if has[r] {
				g, err := f.GlyphIndex(&buf, rune(r))
				has[r] = err == nil && g != 0
			}
		}
	}
	return has
})

// safe prepares text for the PDF: composed to NFC (a name typed as "e" +
// combining marks prints as the precomposed "ễ" the font has), line feeds
// kept, carriage returns dropped, other control characters turned into
// spaces, and every character the fonts cannot draw (emoji, CJK, anything
// past U+FFFF) replaced by U+FFFD "�", so that it shows, and a PDF reader
// extracts, a visible mark rather than an invisible empty glyph.
func safe(s string) string {
	s = norm.NFC.String(s)
	has := drawable()
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteRune(r)
		case r == '\r':
		case unicode.IsControl(r):
			b.WriteByte(' ')
		case int(r) < len(has) && has[r]:
			b.WriteRune(r)
		default:
			b.WriteRune(missingGlyph)
		}
	}
	return b.String()
}
