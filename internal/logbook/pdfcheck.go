package logbook

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"io"
	"math"
)

// activeNames are the PDF names that make a viewer run something by itself
// or on a click: JavaScript (/JavaScript, /JS), actions run when the file
// opens or a page or field is shown (/OpenAction, /AA, "additional
// actions") and launching another program (/Launch).
var activeNames = map[string]bool{"JavaScript": true, "JS": true, "OpenAction": true, "AA": true, "Launch": true}

// maxInflated bounds the bytes inflated from a PDF's object streams while
// checking it: more is refused as uncheckable (a decompression bomb costs
// nothing to upload).
const maxInflated = 64 << 20

// Why a PDF is refused.
const (
	pdfActive      = "PDF files with JavaScript or automatic actions are not accepted"
	pdfUncheckable = "this PDF cannot be checked (compressed in an unusual way or encrypted); save it again as a plain PDF"
	pdfTooLarge    = "this PDF is too large to check once decompressed"
)

// pdfProblem returns why the PDF r holds is refused, or "" when it is
// accepted; err is r's own failure. It reads r once, front to back, in
// bounded memory (a 64 KiB buffer, zlib's window), whatever the file's size.
// The check is conservative and reads the raw bytes, not a parsed document:
//
//   - every name outside streams (where dictionaries live) is read with its
//     #xx escapes decoded, so /J#61vaScript counts as /JavaScript, and one of
//     activeNames refuses the file;
//   - object streams (/Type /ObjStm, PDF 1.5+ dictionaries compressed inside a
//     stream) are inflated (FlateDecode) and read the same way; one that uses
//     another filter, a predictor, or does not inflate (an encrypted file, a
//     damaged stream) cannot be checked and refuses the file;
//   - other streams (page contents, images, fonts) are skipped: a viewer does
//     not read dictionaries there, and their binary data would match names by
//     chance.
//
// The file is cut into dictionary parts and stream data: a stream's data
// starts after a "stream" keyword (not "endstream") and its end of line, and
// ends before the next "endstream" (or at the end of the file); the
// dictionary of a stream is the part before it, from the last "obj" keyword
// on. pdfcheck_oracle_test.go holds the same check written over a []byte,
// which this one must answer like for every input.
func pdfProblem(r io.Reader) (string, error) {
	c := pdfChecker{r: bufio.NewReaderSize(r, 64<<10), budget: maxInflated}
	for {
		d, atStream, err := c.dict()
		if err != nil {
			return "", err
		}
		if d.active {
			return pdfActive, nil
		}
		if !atStream {
			return "", nil
		}
		if problem, err := c.stream(d); problem != "" || err != nil {
			return problem, err
		}
	}
}

type pdfChecker struct {
	r      *bufio.Reader
	budget int // bytes object streams may still inflate to
}

// dictPart is what the check learnt of a dictionary part.
type dictPart struct {
	active bool     // it holds one of activeNames
	names  nameSet  // the names after its last "obj" keyword
	window [9]byte  // its last bytes, to find the keywords
	length int      // its length so far
	scan   nameScan // its names
}

// nameSet records the names that decide how an object stream is read.
type nameSet struct {
	objStm, flate, decodeParms, predictor, crypt, otherDecode bool
}

func (s *nameSet) add(n *pdfName) {
	switch {
	case n.is("ObjStm"):
		s.objStm = true
	case n.is("FlateDecode"):
		s.flate = true
	case n.is("DecodeParms"):
		s.decodeParms = true
	case n.is("Predictor"):
		s.predictor = true
	case n.is("Crypt"):
		s.crypt = true
	case n.n > 6 && n.endsWith("Decode"):
		s.otherDecode = true
	}
}

// dict reads a dictionary part: up to and including the end of line of the
// next "stream" keyword (atStream), or to the end of the file. It stops at
// the first active name (d.active).
func (c *pdfChecker) dict() (d dictPart, atStream bool, err error) {
	d.scan.emit = func(n *pdfName, afterObj bool) {
		if n.active() {
			d.active = true
		}
		if afterObj {
			d.names.add(n)
		}
	}
	for !d.active {
		b, err := c.r.ReadByte()
		if err == io.EOF {
			d.scan.end()
			return d, false, nil
		}
		if err != nil {
			return d, false, err
		}
		d.scan.feed(b)
		copy(d.window[:], d.window[1:])
		d.window[8] = b
		d.length++
		w := d.window[:]
		if string(w[6:]) == "obj" {
			// Only names after the last "obj" make the stream's dictionary.
			d.names = nameSet{}
			d.scan.afterObj = false
		}
		if string(w[3:]) != "stream" || (d.length >= 9 && string(w[:3]) == "end") {
			continue
		}
		eol, err := c.r.Peek(2)
		if err != nil && err != io.EOF {
			return d, false, err
		}
		switch {
		case bytes.HasPrefix(eol, []byte("\r\n")):
			eol = eol[:2]
		case len(eol) > 0 && (eol[0] == '\n' || eol[0] == '\r'):
			eol = eol[:1]
		default:
			continue // the word inside something else
		}
		for _, b := range eol {
			d.scan.feed(b)
		}
		c.r.Discard(len(eol))
		d.scan.end()
		return d, !d.active, nil
	}
	return d, false, nil
}

// stream reads a stream's data after dictionary d: object streams are
// inflated and their names checked, other streams skipped.
func (c *pdfChecker) stream(d dictPart) (string, error) {
	data := &streamData{r: c.r}
	if d.names.objStm {
		problem, err := c.objectStream(d.names, data)
		if problem != "" || err != nil {
			return problem, err
		}
	}
	// What the object stream's reader left, or the whole stream.
	if _, err := io.Copy(io.Discard, data); err != nil {
		return "", err
	}
	return "", nil
}

// objectStream checks the names inside an object stream (its dictionary's
// names are names).
func (c *pdfChecker) objectStream(names nameSet, data *streamData) (string, error) {
	if names.decodeParms || names.predictor || names.crypt || names.otherDecode {
		return pdfUncheckable, nil
	}
	found := false
	scan := nameScan{emit: func(n *pdfName, _ bool) { found = found || n.active() }}
	if !names.flate {
		if _, err := scan.count(data, math.MaxInt64); err != nil {
			return "", err
		}
		if found {
			return pdfActive, nil
		}
		return "", nil
	}
	zr, err := zlib.NewReader(data)
	if data.err != nil {
		return "", data.err
	}
	if err != nil {
		return pdfUncheckable, nil
	}
	// Inflate at most budget+1 bytes: one more than the budget refuses the
	// file, whatever the names said.
	n, err := scan.count(zr, int64(c.budget)+1)
	if data.err != nil {
		return "", data.err
	}
	if n > int64(c.budget) {
		return pdfTooLarge, nil
	}
	c.budget -= int(n)
	// The stream's end is found by "endstream", not its /Length: a stream cut
	// short of its checksum is read as far as it goes; any other error leaves
	// bytes unread, which a lenient viewer might still inflate.
	if err != nil && err != io.ErrUnexpectedEOF {
		return pdfUncheckable, nil
	}
	if found {
		return pdfActive, nil
	}
	return "", nil
}

// count feeds up to limit bytes of r to the scanner, ends it, and returns
// how many bytes r gave and its error (nil at its end or at the limit).
func (s *nameScan) count(r io.Reader, limit int64) (int64, error) {
	buf := make([]byte, 32<<10)
	lr := io.LimitReader(r, limit)
	var n int64
	for {
		k, err := lr.Read(buf)
		s.feedAll(buf[:k])
		n += int64(k)
		if err == io.EOF {
			s.end()
			return n, nil
		}
		if err != nil {
			s.end()
			return n, err
		}
	}
}

// endstream ends a stream's data.
var endstream = []byte("endstream")

// streamData reads the data of a stream: the bytes of r up to the next
// "endstream" keyword, which it leaves unread, or to the end of r. err is
// r's failure (not its end).
type streamData struct {
	r   *bufio.Reader
	err error
}

func (s *streamData) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	// All that is buffered, and at least a keyword's length unless r ends.
	b, err := s.r.Peek(max(s.r.Buffered(), len(endstream)))
	if err != nil && err != io.EOF {
		s.err = err // returned once the bytes before it are read
	}
	if i := bytes.Index(b, endstream); i >= 0 {
		b = b[:i]
	} else if err == nil {
		b = b[:len(b)-(len(endstream)-1)] // the rest may start the keyword
	}
	if len(b) == 0 {
		if s.err != nil {
			return 0, s.err
		}
		return 0, io.EOF
	}
	n := copy(p, b)
	s.r.Discard(n)
	return n, nil
}

// pdfName is what the check needs of a name (escapes decoded): short names
// whole, any name's length and last bytes.
type pdfName struct {
	n    int
	head [16]byte
	tail [6]byte
}

func (n *pdfName) add(b byte) {
	if n.n < len(n.head) {
		n.head[n.n] = b
	}
	copy(n.tail[:], n.tail[1:])
	n.tail[len(n.tail)-1] = b
	n.n++
}

func (n *pdfName) is(s string) bool {
	return n.n == len(s) && n.n <= len(n.head) && string(n.head[:n.n]) == s
}

func (n *pdfName) endsWith(s string) bool {
	return n.n >= len(s) && string(n.tail[len(n.tail)-len(s):]) == s
}

func (n *pdfName) active() bool { return n.n <= len(n.head) && activeNames[string(n.head[:n.n])] }

// nameScan finds the PDF names in bytes fed one at a time: a '/' and the
// regular characters after it, #xx escapes decoded (PDF 32000 §7.3.5). A
// '#' not followed by two hex digits is itself. emit is called at each
// name's end with afterObj, which is true when the name started since
// afterObj was last set false (by the caller, at an "obj" keyword).
type nameScan struct {
	emit     func(n *pdfName, afterObj bool)
	afterObj bool
	state    int // outside a name, in one, after '#', after '#' and a hex digit
	hex      byte
	name     pdfName
}

const (
	outside = iota
	inName
	afterHash
	afterHashHex
)

func (s *nameScan) feed(b byte) {
	switch s.state {
	case afterHash:
		if isHex(b) {
			s.hex, s.state = b, afterHashHex
			return
		}
		s.name.add('#')
		s.state = inName
	case afterHashHex:
		s.state = inName
		if isHex(b) {
			s.name.add(unhex(s.hex)<<4 | unhex(b))
			return
		}
		s.name.add('#')
		s.name.add(s.hex)
	}
	if s.state == inName {
		switch {
		case b == '#':
			s.state = afterHash
			return
		case regular(b):
			s.name.add(b)
			return
		}
		s.end() // b ends the name, and may start the next
	}
	if b == '/' {
		s.state, s.name, s.afterObj = inName, pdfName{}, true
	}
}

// feedAll feeds b, skipping at once the bytes between names (all but a
// '/' are nothing there).
func (s *nameScan) feedAll(b []byte) {
	for len(b) > 0 {
		if s.state == outside {
			i := bytes.IndexByte(b, '/')
			if i < 0 {
				return
			}
			b = b[i:]
		}
		s.feed(b[0])
		b = b[1:]
	}
}

// end ends the name being read, if any (the end of the bytes).
func (s *nameScan) end() {
	switch s.state {
	case outside:
		return
	case afterHash:
		s.name.add('#')
	case afterHashHex:
		s.name.add('#')
		s.name.add(s.hex)
	}
	s.state = outside
	s.emit(&s.name, s.afterObj)
}

// regular reports whether c may be part of a name (PDF 32000 §7.2.2: not
// white-space, not a delimiter).
func regular(c byte) bool {
	switch c {
	case 0, '\t', '\n', '\f', '\r', ' ', '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return false
	}
	return true
}

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
