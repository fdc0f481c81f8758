package logbook

// The []byte check this package used before it learnt to stream (kept as the
// oracle of TestPDFCheckStreamsLikeTheOracle): the streaming pdfProblem must
// answer exactly what it answered, for every input.

import (
	"bytes"
	"compress/zlib"
	"io"
)

// oraclePdfProblem returns why a PDF is refused, or "" when it is accepted. The
// check is conservative and reads the raw bytes, not a parsed document:
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
func oraclePdfProblem(data []byte) string {
	budget := maxInflated
	for rest := data; len(rest) > 0; {
		start, end, ok := oracleNextStream(rest)
		dict := rest
		if ok {
			dict = rest[:start]
		}
		if oracleHasActiveName(dict) {
			return "PDF files with JavaScript or automatic actions are not accepted"
		}
		if !ok {
			break
		}
		if oracleIsObjectStream(dict) {
			plain, problem := oracleInflateObjectStream(dict, rest[start:end], &budget)
			if problem != "" {
				return problem
			}
			if oracleHasActiveName(plain) {
				return "PDF files with JavaScript or automatic actions are not accepted"
			}
		}
		rest = rest[end:]
	}
	return ""
}

// oracleNextStream finds the data of the first stream in b: from after the
// "stream" keyword's end of line to the "endstream" keyword.
func oracleNextStream(b []byte) (start, end int, ok bool) {
	for off := 0; ; {
		i := bytes.Index(b[off:], []byte("stream"))
		if i < 0 {
			return 0, 0, false
		}
		i += off
		off = i + len("stream")
		if i >= 3 && string(b[i-3:i]) == "end" {
			continue // a stray endstream
		}
		switch {
		case bytes.HasPrefix(b[off:], []byte("\r\n")):
			start = off + 2
		case bytes.HasPrefix(b[off:], []byte("\n")), bytes.HasPrefix(b[off:], []byte("\r")):
			start = off + 1
		default:
			continue // the word inside something else
		}
		j := bytes.Index(b[start:], []byte("endstream"))
		if j < 0 {
			return start, len(b), true
		}
		return start, start + j, true
	}
}

// oracleStreamDict returns the names of the dictionary that precedes a stream:
// those after the last "obj" keyword in before.
func oracleStreamDict(before []byte) map[string]bool {
	if i := bytes.LastIndex(before, []byte("obj")); i >= 0 {
		before = before[i:]
	}
	names := map[string]bool{}
	oracleEachName(before, func(n string) bool { names[n] = true; return true })
	return names
}

func oracleIsObjectStream(before []byte) bool { return oracleStreamDict(before)["ObjStm"] }

// oracleInflateObjectStream returns the plain bytes of an object stream, or why it
// cannot be checked. budget is what may still be inflated.
func oracleInflateObjectStream(before, raw []byte, budget *int) ([]byte, string) {
	const uncheckable = "this PDF cannot be checked (compressed in an unusual way or encrypted); save it again as a plain PDF"
	names := oracleStreamDict(before)
	if names["DecodeParms"] || names["Predictor"] || names["Crypt"] {
		return nil, uncheckable
	}
	for n := range names {
		if len(n) > 6 && n[len(n)-6:] == "Decode" && n != "FlateDecode" {
			return nil, uncheckable
		}
	}
	if !names["FlateDecode"] {
		return raw, ""
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, uncheckable
	}
	plain, err := io.ReadAll(io.LimitReader(zr, int64(*budget)+1))
	if len(plain) > *budget {
		return nil, "this PDF is too large to check once decompressed"
	}
	*budget -= len(plain)
	// The stream's end is found by "endstream", not its /Length: a stream cut
	// short of its checksum is read as far as it goes; any other error leaves
	// bytes unread, which a lenient viewer might still inflate.
	if err != nil && err != io.ErrUnexpectedEOF {
		return nil, uncheckable
	}
	return plain, ""
}

// oracleHasActiveName reports whether b holds one of activeNames.
func oracleHasActiveName(b []byte) bool {
	found := false
	oracleEachName(b, func(n string) bool {
		found = activeNames[n]
		return !found
	})
	return found
}

// oracleEachName calls f with every PDF name in b (without its slash, #xx escapes
// decoded) until f returns false.
func oracleEachName(b []byte, f func(string) bool) {
	for i := 0; i < len(b); i++ {
		if b[i] != '/' {
			continue
		}
		var name []byte
		j := i + 1
		for ; j < len(b) && regular(b[j]); j++ {
			if b[j] == '#' && j+2 < len(b) && isHex(b[j+1]) && isHex(b[j+2]) {
				name = append(name, unhex(b[j+1])<<4|unhex(b[j+2]))
				j += 2
				continue
			}
			name = append(name, b[j])
		}
		if !f(string(name)) {
			return
		}
		i = j - 1
	}
}
