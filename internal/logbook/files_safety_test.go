package logbook_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"jalon/internal/testapp"
)

// pdf returns a small PDF whose catalog dictionary holds extra, plus the
// given objects after it.
func pdf(extra string, objects ...string) []byte {
	b := "%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R " + extra + " >>\nendobj\n" +
		"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
	for _, o := range objects {
		b += o
	}
	return []byte(b + "trailer\n<< /Root 1 0 R >>\n%%EOF\n")
}

// stream returns an indirect object holding a stream with dictionary dict.
func stream(dict string, data []byte) string {
	return "3 0 obj\n<< " + dict + " >>\nstream\n" + string(data) + "\nendstream\nendobj\n"
}

func deflate(s string) []byte {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// PDFs that carry JavaScript or actions run without the reader's asking
// are refused at upload (VALIDATION_FAILED on file), however their names
// are spelt or wherever their dictionaries hide; ordinary PDFs pass.
func TestActivePDFsAreRefused(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	tok := a.Token(t, c.Apprentice)
	e := create(t, a, tok, input(c))

	hidden := "5 0 << /S /JavaScript /JS (app.alert(1)) >>"
	refused := map[string][]byte{
		"javascript":       pdf("/Names << /JavaScript 4 0 R >>"),
		"js":               pdf("", "4 0 obj\n<< /S /JavaScript /JS (app.alert(1)) >>\nendobj\n"),
		"open action":      pdf("/OpenAction 4 0 R"),
		"additional (AA)":  pdf("/AA << /O 4 0 R >>"),
		"launch":           pdf("", "4 0 obj\n<< /S /Launch /F (calc.exe) >>\nendobj\n"),
		"escaped name":     pdf("/Open#41ction 4 0 R"),
		"object stream":    pdf("", stream("/Type /ObjStm /N 1 /First 8 /Filter /FlateDecode", deflate(hidden))),
		"plain obj stream": pdf("", stream("/Type/ObjStm/N 1/First 8", []byte(hidden))),
		"escaped ObjStm":   pdf("", stream("/Type /Obj#53tm /N 1 /First 8 /Filter [/FlateDecode]", deflate(hidden))),
		// What cannot be read cannot be checked.
		"other filter":   pdf("", stream("/Type /ObjStm /N 1 /First 8 /Filter /ASCIIHexDecode", []byte("3c3c3e3e"))),
		"not deflated":   pdf("", stream("/Type /ObjStm /N 1 /First 8 /Filter /FlateDecode", []byte("garbage, perhaps encrypted"))),
		"with predictor": pdf("", stream("/Type /ObjStm /N 1 /First 8 /Filter /FlateDecode /DecodeParms << /Predictor 12 >>", deflate(hidden))),
	}
	for name, content := range refused {
		res := upload(t, a, tok, e.ID, "scan.pdf", content)
		if res.RequireCode(t, "VALIDATION_FAILED"); res.Field() != "file" {
			t.Fatalf("%s: field %q", name, res.Field())
		}
	}
	accepted := map[string][]byte{
		"plain":          pdf("/Lang (fr-BE)"),
		"clean ObjStm":   pdf("", stream("/Type /ObjStm /N 1 /First 8 /Filter /FlateDecode", deflate("5 0 << /Type /Font /BaseFont /Helvetica >>"))),
		"names in image": pdf("", stream("/Type /XObject /Subtype /Image /Length 40", []byte("\x00\xff/JS /AA /OpenAction binary\x01"))),
		"longer names":   pdf("/JSONish true /AAA 1 /Launcher 2"),
	}
	for name, content := range accepted {
		if res := upload(t, a, tok, e.ID, "scan.pdf", content); len(res.Errors) > 0 {
			t.Fatalf("%s refused: %+v", name, res.Errors)
		}
	}
}

// Files are served so that a browser cannot run them with Jalon's origin:
// images inline, anything else as a download, both with a sandboxing CSP.
func TestDownloadsAreSandboxed(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	tok := a.Token(t, c.Apprentice)
	e := create(t, a, tok, input(c))
	for _, tc := range []struct {
		name        string
		content     []byte
		disposition string
	}{
		{"photo.png", pngBytes(64), "inline"},
		{"doc.pdf", pdf(""), "attachment; filename=\"attachment-"},
	} {
		var d struct{ AddLogAttachment attachment }
		upload(t, a, tok, e.ID, tc.name, tc.content).Decode(t, &d)
		r, _ := get(t, a, d.AddLogAttachment.URL)
		if r.StatusCode != 200 {
			t.Fatalf("%s: %d", tc.name, r.StatusCode)
		}
		if got := r.Header.Get("Content-Disposition"); !strings.HasPrefix(got, tc.disposition) {
			t.Fatalf("%s: Content-Disposition %q", tc.name, got)
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "default-src 'none'") {
			t.Fatalf("%s: Content-Security-Policy %q", tc.name, csp)
		}
	}
}

// blockingReader hands out head, then blocks until done is closed, like a
// client still sending a huge upload.
type blockingReader struct {
	head io.Reader
	done chan struct{}
}

func (b *blockingReader) Read(p []byte) (int, error) {
	if n, err := b.head.Read(p); err != io.EOF {
		return n, err
	}
	<-b.done
	return 0, io.EOF
}

// An upload without a valid access token is refused (401, UNAUTHENTICATED)
// before its body is read: the answer comes while the client is still
// sending, which it could not if the server waited for the body.
func TestAnonymousUploadIsRefusedBeforeItsBody(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	for _, token := range []string{"", "forged.token.value"} {
		var head bytes.Buffer
		w := multipart.NewWriter(&head)
		w.WriteField("operations", `{"query":"mutation($f: Upload!) { addLogAttachment(logEntryId: \"00000000-0000-0000-0000-000000000000\", file: $f) { id } }","variables":{"f":null}}`)
		w.WriteField("map", `{"0": ["variables.f"]}`)
		part, _ := w.CreateFormFile("0", "big.png")
		part.Write(pngBytes(1024))
		done := make(chan struct{})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a guard, not a measure
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, a.URL+"/graphql", &blockingReader{head: &head, done: done})
		req.Header.Set("Content-Type", w.FormDataContentType())
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res := a.Do(t, req)
		close(done)
		cancel()
		if res.Status != http.StatusUnauthorized {
			t.Fatalf("token %q: status %d", token, res.Status)
		}
		res.RequireCode(t, "UNAUTHENTICATED")
	}
}
