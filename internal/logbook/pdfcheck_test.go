package logbook

import (
	"bytes"
	"compress/zlib"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
)

// pdfFragments are the pieces the check cares about, and some it must not.
var pdfFragments = []string{
	"stream\n", "stream\r\n", "stream\r", "stream", "stream ", "endstream", "endstream\n", "\nendstream",
	"obj", " obj\n", "endobj\n", "1 0 obj\n", "end", "str", "eam",
	"/JS", "/J#53", "/JavaScript", "/J#61vaScript", "/OpenAction", "/Open#41ction", "/AA", "/Launch", "/JSON", "/AAA",
	"/ObjStm", "/Obj#53tm", "/Type", "/FlateDecode", "/Filter", "/DecodeParms", "/Predictor", "/Crypt",
	"/ASCIIHexDecode", "/LZWDecode", "/Decode", "/XDecode",
	"<<", ">>", "[", "]", " ", "\n", "\r", "\r\n", "\t", "\x00", "#", "#4", "#4A", "#zz", "#6", "/", "%", "(", ")",
	"/A#", "/J#5", "%PDF-1.7\n", "trailer\n<< /Root 1 0 R >>\n%%EOF\n",
}

// randomPDF builds a document from fragments, random bytes and compressed
// (sometimes damaged) runs of fragments, which object streams inflate.
func randomPDF(r *rand.Rand, depth int) []byte {
	var b bytes.Buffer
	for range r.IntN(40) {
		switch k := r.IntN(20); {
		case k < 14:
			b.WriteString(pdfFragments[r.IntN(len(pdfFragments))])
		case k < 16:
			raw := make([]byte, r.IntN(30))
			for i := range raw {
				raw[i] = byte(r.IntN(256))
			}
			b.Write(raw)
		case depth < 2:
			z := deflateBytes(randomPDF(r, depth+1))
			switch r.IntN(5) {
			case 0:
				z = z[:r.IntN(len(z)+1)] // cut short
			case 1:
				z = append(z, "garbage"...)
			case 2:
				if len(z) > 4 {
					z[2+r.IntN(len(z)-2)] ^= 0x55 // damaged
				}
			}
			b.Write(z)
		}
	}
	return b.Bytes()
}

// deflater is reused: a zlib writer costs half a megabyte to make.
var (
	deflaterMu  sync.Mutex
	deflater, _ = zlib.NewWriterLevel(nil, zlib.BestSpeed)
)

func deflateBytes(p []byte) []byte {
	deflaterMu.Lock()
	defer deflaterMu.Unlock()
	var b bytes.Buffer
	deflater.Reset(&b)
	deflater.Write(p)
	deflater.Close()
	return b.Bytes()
}

// objStm wraps content in an object stream whose dictionary is dict.
func objStm(dict string, content []byte) []byte {
	return append(append([]byte("%PDF-1.7\n3 0 obj\n<< /Type /ObjStm "+dict+" >>\nstream\n"), content...),
		"\nendstream\nendobj\ntrailer\n"...)
}

// checkLikeOracle fails unless the streaming check, reading data whole and
// (when small) a byte or half a buffer at a time, answers what the []byte
// check answers.
func checkLikeOracle(t *testing.T, data []byte) {
	t.Helper()
	want := oraclePdfProblem(data)
	readers := map[string]io.Reader{"whole": bytes.NewReader(data)}
	if len(data) < 1<<20 {
		readers["one byte"] = iotest.OneByteReader(bytes.NewReader(data))
		readers["halves"] = iotest.HalfReader(bytes.NewReader(data))
	}
	for name, r := range readers {
		got, err := pdfProblem(r)
		if err != nil || got != want {
			t.Fatalf("%s reader: %q %v, the oracle says %q, for %q", name, got, err, want, data)
		}
	}
}

// The streaming check answers exactly what the former []byte check
// answered, on 2000 documents built to hit its corners: keywords
// inside names, escapes cut by the end, object streams with damaged or
// truncated data, names across buffer boundaries.
func TestPDFCheckStreamsLikeTheOracle(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(13, 1))
	refused := 0
	for range 2000 {
		data := randomPDF(r, 0)
		checkLikeOracle(t, data)
		if oraclePdfProblem(data) != "" {
			refused++
		}
	}
	if refused < 200 || refused > 1800 {
		t.Fatalf("%d of 2000 refused: the generator does not exercise both answers", refused)
	}
	// Keywords and names across the 64 KiB buffer's edges.
	for pad := 65536 - 12; pad < 65536+12; pad++ {
		for _, tail := range []string{"/JavaScript ", "stream\r\n/JS endstream /AA", " obj /ObjStm stream\n" + string(deflateBytes([]byte("/JS"))) + "endstream", "/J#61vaScript"} {
			checkLikeOracle(t, append(bytes.Repeat([]byte{' '}, pad), tail...))
		}
	}
	// Object streams: clean, active, filtered, bombs.
	bomb := deflateBytes(make([]byte, maxInflated+1))
	for _, data := range [][]byte{
		objStm("/Filter /FlateDecode", deflateBytes([]byte("5 0 << /Type /Font >>"))),
		objStm("/Filter /FlateDecode", deflateBytes([]byte("5 0 << /S /JavaScript /JS (x) >>"))),
		objStm("", []byte("5 0 << /OpenAction 4 0 R >>")),
		objStm("/Filter /FlateDecode /DecodeParms << /Predictor 12 >>", deflateBytes([]byte("x"))),
		objStm("/Filter /ASCIIHexDecode", []byte("3c3c3e3e")),
		objStm("/Filter /FlateDecode", bomb),
		append(objStm("/Filter /FlateDecode", deflateBytes(make([]byte, maxInflated/2))),
			objStm("/Filter /FlateDecode", deflateBytes(make([]byte, maxInflated/2+1)))...),
	} {
		checkLikeOracle(t, data)
	}
}

// A reader that fails is an error, not a verdict.
func TestPDFCheckReportsReadErrors(t *testing.T) {
	t.Parallel()
	lost := errors.New("connection lost")
	for _, head := range []string{"%PDF-1.7\n<< /Type /Catalog ", "%PDF-1.7\n1 0 obj << /Type /ObjStm /Filter /FlateDecode >>\nstream\n\x78"} {
		problem, err := pdfProblem(io.MultiReader(strings.NewReader(head), iotest.ErrReader(lost)))
		if !errors.Is(err, lost) || problem != "" {
			t.Fatalf("%q: %q %v", head, problem, err)
		}
	}
}

// The check reads the file through a fixed buffer: checking 64 MiB of
// streams allocates less than 1 MiB. Not parallel: the count of allocated
// bytes is the process's.
func TestPDFCheckMemoryDoesNotGrowWithTheFile(t *testing.T) {
	big := io.MultiReader(strings.NewReader("%PDF-1.7\n1 0 obj << /Length 67108864 >>\nstream\n"),
		io.LimitReader(patternReader{}, 64<<20), strings.NewReader("\nendstream\nendobj\n/Lang (fr) "))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	problem, err := pdfProblem(big)
	runtime.ReadMemStats(&after)
	if problem != "" || err != nil {
		t.Fatalf("%q %v", problem, err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Fatalf("checking 64 MiB allocated %d bytes", n)
	}
}

// patternReader yields bytes that never spell a keyword.
type patternReader struct{}

func (patternReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte('0' + i%10)
	}
	return len(p), nil
}

// FuzzPDFCheck: whatever the bytes, the streaming check answers like the
// []byte one. Its seeds run with the tests; .ci/run fuzzes it a while.
func FuzzPDFCheck(f *testing.F) {
	r := rand.New(rand.NewPCG(7, 7))
	for range 20 {
		f.Add(randomPDF(r, 0))
	}
	f.Add(objStm("/Filter /FlateDecode", deflateBytes([]byte("/JS"))))
	f.Fuzz(func(t *testing.T, data []byte) {
		want := oraclePdfProblem(data)
		if got, err := pdfProblem(bytes.NewReader(data)); got != want || err != nil {
			t.Fatalf("%q %v, the oracle says %q", got, err, want)
		}
	})
}
