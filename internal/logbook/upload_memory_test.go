package logbook_test

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
	"time"

	"jalon/internal/config"
	"jalon/internal/testapp"
	"jalon/internal/testtools/s3server"
)

// bigPDFSize is the size of the file TestLargeFilesStream sends, far above
// what the server may hold in memory for it.
const bigPDFSize = 48 << 20

// bigPDF writes a PDF of exactly size bytes: one large image stream (the
// check skips its bytes, finds the dictionary clean).
func bigPDF(w io.Writer, size int) error {
	head := fmt.Sprintf("%%PDF-1.7\n1 0 obj\n<< /Type /XObject /Subtype /Image /Length %010d >>\nstream\n", 0)
	tail := "\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
	n := size - len(head) - len(tail)
	head = fmt.Sprintf("%%PDF-1.7\n1 0 obj\n<< /Type /XObject /Subtype /Image /Length %010d >>\nstream\n", n)
	if _, err := io.WriteString(w, head); err != nil {
		return err
	}
	buf := make([]byte, 64<<10)
	for i := range buf {
		buf[i] = byte(i*7 + i>>8) // no "endstream" in it
	}
	for n > 0 {
		k := min(n, len(buf))
		if _, err := w.Write(buf[:k]); err != nil {
			return err
		}
		n -= k
	}
	_, err := io.WriteString(w, tail)
	return err
}

// heapPeak samples the heap in use until stop is called, and returns how far
// it rose above its level (after a collection) at the start.
func heapPeak() (stop func() uint64) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	base, peak := m.HeapInuse, m.HeapInuse
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak - base
	}
}

// A 48 MiB file goes up through the GraphQL multipart upload (sent chunked,
// without a Content-Length, the case gqlgen would keep in memory) into
// either store, is checked as a PDF, and comes back through the signed
// download, while the server's heap never holds a fraction of it: the
// process's heap in use (server and client share it) rises by less than a
// quarter of the file. Not parallel, and the collector kept tight, so the
// heap measured is this test's alone.
func TestLargeFilesStream(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(20))
	for _, store := range []string{"dir", "s3"} {
		t.Run(store, func(t *testing.T) {
			opts := []testapp.Option{func(c *config.Config) { c.GraphQL.MaxUploadBytes = 64 << 20 }}
			if store == "s3" {
				srv := s3server.Start(t)
				opts = append(opts, testapp.BlobStore(srv.URL, srv.Credentials()))
			}
			a := testapp.New(t, opts...)
			c := a.NewContract(t)
			tok := a.Token(t, c.Apprentice)
			e := create(t, a, tok, input(c))
			want := sha256.New()
			if err := bigPDF(want, bigPDFSize); err != nil {
				t.Fatal(err)
			}

			peak := heapPeak()
			body, w := io.Pipe()
			mw := multipart.NewWriter(w)
			go func() {
				ops, _ := json.Marshal(map[string]any{"query": uploadDoc, "variables": map[string]any{"id": e.ID, "file": nil}})
				mw.WriteField("operations", string(ops))
				mw.WriteField("map", `{"0": ["variables.file"]}`)
				part, err := mw.CreateFormFile("0", "scan.pdf")
				if err == nil {
					err = bigPDF(part, bigPDFSize)
				}
				if err == nil {
					err = mw.Close()
				}
				w.CloseWithError(err)
			}()
			req, _ := http.NewRequest(http.MethodPost, a.URL+"/graphql", body)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			req.Header.Set("Authorization", "Bearer "+tok)
			var d struct{ AddLogAttachment attachment }
			a.Do(t, req).Decode(t, &d)
			if d.AddLogAttachment.Size != bigPDFSize || d.AddLogAttachment.ContentType != "application/pdf" {
				t.Fatalf("stored %+v", d.AddLogAttachment)
			}

			u, _ := url.Parse(d.AddLogAttachment.URL)
			res, err := http.Get(a.URL + u.RequestURI())
			if err != nil {
				t.Fatal(err)
			}
			got := sha256.New()
			n, err := io.Copy(got, res.Body)
			res.Body.Close()
			grew := peak()
			if err != nil || n != bigPDFSize || string(got.Sum(nil)) != string(want.Sum(nil)) {
				t.Fatalf("download: %d bytes, %v, same: %v", n, err, string(got.Sum(nil)) == string(want.Sum(nil)))
			}
			t.Logf("heap in use rose by %.1f MiB for a %d MiB file", float64(grew)/(1<<20), bigPDFSize>>20)
			if grew > bigPDFSize/4 {
				t.Fatalf("the heap rose by %d bytes for a file of %d: the file is held in memory", grew, bigPDFSize)
			}
		})
	}
}
