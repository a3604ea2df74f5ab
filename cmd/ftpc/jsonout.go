// --json: results as JSON objects, one a line, for scripts.

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	ftp "github.com/seed362563c3/ftp"
)

// writeJSON writes v as one line of JSON. Text from the server stays as
// it was sent (invalid UTF-8 becomes U+FFFD), with every control
// character escaped, C1 and DEL included, which encoding/json leaves as
// they are: a name cannot drive the terminal through JSON either.
func writeJSON(w io.Writer, v any) error {
	b, err := appendJSON(nil, v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// appendJSON appends the line writeJSON writes for v to dst.
func appendJSON(dst []byte, v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return dst, err
	}
	b := buf.Bytes()
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == 0x7f || r >= 0x80 && r <= 0x9f {
			dst = fmt.Appendf(dst, `\u%04x`, r)
		} else {
			dst = append(dst, b[:size]...)
		}
		b = b[size:]
	}
	return dst, nil
}

// jsonEntry is one entry of ls --json.
type jsonEntry struct {
	Name     string  `json:"name"`
	Type     string  `json:"type"`             // file, dir, link, other
	Size     *int64  `json:"size"`             // null when unknown
	Modified *string `json:"modified"`         // RFC 3339, UTC; null when unknown
	Perm     string  `json:"perm,omitempty"`   // octal permission bits, when listed
	Target   string  `json:"target,omitempty"` // a link's target, when listed
	// Unsafe marks a name that is not one harmless path element ("../x",
	// "a/b"): shown, never to be joined into a path.
	Unsafe bool `json:"unsafe,omitempty"`
}

func newJSONEntry(e *ftp.Entry, unsafe bool) jsonEntry {
	j := jsonEntry{Name: e.Name, Type: e.Type.String(), Target: e.Target, Unsafe: unsafe}
	if e.Size >= 0 {
		j.Size = &e.Size
	}
	if !e.ModTime.IsZero() {
		s := e.ModTime.UTC().Format(time.RFC3339)
		j.Modified = &s
	}
	if p := e.Mode.Perm(); p != 0 {
		j.Perm = fmt.Sprintf("%04o", uint32(p))
	}
	return j
}

// jsonTransfer is the summary of get or put with --json.
type jsonTransfer struct {
	Op     string `json:"op"` // get, put
	Remote string `json:"remote"`
	Local  string `json:"local"`
	// Size is what the destination holds at the end, -1 when unknown.
	Size int64 `json:"size"`
	// Bytes is what this command moved over data connections.
	Bytes int64 `json:"bytes"`
	// ResumedAt is where the transfer continued an earlier part, 0 when
	// it started from the beginning, -1 when it resumed at an offset not
	// known.
	ResumedAt int64 `json:"resumed_at"`
	// Verified says what proved the result: "SHA-256" (or another
	// algorithm), "size", or "" for nothing beyond the server's reply.
	Verified string  `json:"verified"`
	Seconds  float64 `json:"seconds"`
}
