// Table tests and a fuzz target for the reply reader and the reply errors.

package ftp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTestReplyReader(s string) *replyReader {
	return &replyReader{r: bufio.NewReaderSize(strings.NewReader(s), 4096)}
}

func TestReadReply(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Reply // the replies read in order before io.EOF
	}{
		{"single line", "220 Service ready\r\n", []Reply{{220, "Service ready"}}},
		{"bare LF", "220 Service ready\n", []Reply{{220, "Service ready"}}},
		{"just the code", "220\r\n", []Reply{{220, ""}}},
		{"code and space", "220 \r\n", []Reply{{220, ""}}},
		{"keeps inner spacing", "200  two  spaces \r\n", []Reply{{200, " two  spaces "}}},
		{"lone CR inside is kept", "200 a\rb\r\n", []Reply{{200, "a\rb"}}},
		{"two replies", "331 Password\r\n230 In\r\n", []Reply{{331, "Password"}, {230, "In"}}},
		{"lowest and highest codes", "100 a\r\n599 b\r\n", []Reply{{100, "a"}, {599, "b"}}},
		{
			"multi-line",
			"211-Features:\r\n MDTM\r\n SIZE\r\n211 End\r\n",
			[]Reply{{211, "Features:\n MDTM\n SIZE\nEnd"}},
		},
		{
			"multi-line with bare LF",
			"211-Features:\n MDTM\n211 End\n",
			[]Reply{{211, "Features:\n MDTM\nEnd"}},
		},
		{
			"continuation lines starting with digits",
			"211-start\r\n123 other code\r\n2110 four digits\r\n21 two digits\r\n211x text\r\n211 end\r\n",
			[]Reply{{211, "start\n123 other code\n2110 four digits\n21 two digits\n211x text\nend"}},
		},
		{
			"continuation lines starting with spaces",
			"211-start\r\n 211 indented code\r\n   deep\r\n211 end\r\n",
			[]Reply{{211, "start\n 211 indented code\n   deep\nend"}},
		},
		{
			"continuation lines repeating the code with a dash",
			"211-start\r\n211-second\r\n211-\r\n211 end\r\n",
			[]Reply{{211, "start\nsecond\n\nend"}},
		},
		{
			"other code with a space does not end the reply",
			"211-start\r\n212 not the end\r\n211 end\r\n",
			[]Reply{{211, "start\n212 not the end\nend"}},
		},
		{
			"empty continuation lines",
			"211-start\r\n\r\n\n211 end\r\n",
			[]Reply{{211, "start\n\n\nend"}},
		},
		{
			"end line of just the code",
			"211-start\r\n211\r\n",
			[]Reply{{211, "start\n"}},
		},
		{
			"multi-line then single line",
			"211-a\r\n211 b\r\n200 c\r\n",
			[]Reply{{211, "a\nb"}, {200, "c"}},
		},
		{"IAC IAC is 0xFF", "200 a\xff\xffb\r\n", []Reply{{200, "a\xffb"}}},
		{"IAC WILL x removed", "200 a\xff\xfb\x01b\r\n", []Reply{{200, "ab"}}},
		{"IAC WONT x removed", "200 a\xff\xfc\x03b\r\n", []Reply{{200, "ab"}}},
		{"IAC DO x removed", "200 a\xff\xfd\x18b\r\n", []Reply{{200, "ab"}}},
		{"IAC DONT x removed", "200 a\xff\xfe\x1fb\r\n", []Reply{{200, "ab"}}},
		{"IAC two-byte command removed", "200 a\xff\xf1b\r\n", []Reply{{200, "ab"}}},
		{"IAC at the line end", "200 a\xff\r\n", []Reply{{200, "a"}}},
		{"IAC before the code", "\xff\xfb\x01220 hi\r\n", []Reply{{220, "hi"}}},
		{"IAC in a continuation line", "211-a\r\n \xff\xff\xff\xfd\x01x\r\n211 b\r\n", []Reply{{211, "a\n \xffx\nb"}}},
		{"UTF-8", "257 \"/dé\" created\r\n", []Reply{{257, "\"/dé\" created"}}},
		{"line at the length limit", "200 " + strings.Repeat("x", maxLineLen-6) + "\r\n", []Reply{{200, strings.Repeat("x", maxLineLen-6)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rr := newTestReplyReader(tt.in)
			for i, want := range tt.want {
				got, err := rr.readReply()
				require.NoError(t, err, "reply %d", i)
				assert.Equal(t, want, got, "reply %d", i)
			}
			_, err := rr.readReply()
			assert.Equal(t, io.EOF, err, "after the last reply")
		})
	}
}

func TestReadReplyMalformed(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		proto bool  // a *ProtocolError
		err   error // otherwise this error
	}{
		{"empty input", "", false, io.EOF},
		{"no code", "hello\r\n", true, nil},
		{"empty line", "\r\n", true, nil},
		{"two-digit code", "22 hi\r\n", true, nil},
		{"two digits only", "22\r\n", true, nil},
		{"letter in the code", "2a0 hi\r\n", true, nil},
		{"code 600", "600 hi\r\n", true, nil},
		{"code 099", "099 hi\r\n", true, nil},
		{"code 000", "000 hi\r\n", true, nil},
		{"code 999", "999 hi\r\n", true, nil},
		{"four-digit code", "2200 hi\r\n", true, nil},
		{"bad separator", "220x hi\r\n", true, nil},
		{"tab separator", "220\thi\r\n", true, nil},
		{"leading space", " 220 hi\r\n", true, nil},
		{"NUL in the code", "2\x0000 hi\r\n", true, nil},
		{"EOF in the first line", "220 hi", false, io.ErrUnexpectedEOF},
		{"EOF mid multi-line", "211-start\r\n more\r\n", false, io.ErrUnexpectedEOF},
		{"EOF mid multi-line, no line end", "211-start\r\n more", false, io.ErrUnexpectedEOF},
		{"EOF after the first line", "211-start\r\n", false, io.ErrUnexpectedEOF},
		{"end line with another code", "211-start\r\n212 end\r\n", false, io.ErrUnexpectedEOF},
		{"overlong line", "200 " + strings.Repeat("x", maxLineLen) + "\r\n", true, nil},
		{"overlong line without end", "200 " + strings.Repeat("x", 1<<20), true, nil},
		{"overlong continuation line", "211-a\r\n" + strings.Repeat("x", maxLineLen+1) + "\r\n211 b\r\n", true, nil},
		{"overlong reply", "211-a\r\n" + strings.Repeat(strings.Repeat("y", 1000)+"\r\n", maxReplyLen/1000+2) + "211 b\r\n", true, nil},
		{"overlong reply of short lines", "211-a\r\n" + strings.Repeat("1\r\n", maxReplyLen) + "211 b\r\n", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := newTestReplyReader(tt.in).readReply()
			require.Error(t, err)
			assert.Equal(t, Reply{}, r)
			var pe *ProtocolError
			if tt.proto {
				require.ErrorAs(t, err, &pe)
				assert.NotEmpty(t, pe.Reason)
				assert.LessOrEqual(t, len(pe.Line), 200, "the offending line is shortened")
				assert.Contains(t, pe.Error(), "protocol error")
			} else {
				assert.False(t, errors.As(err, &pe), "want %v, got a protocol error %v", tt.err, err)
				assert.ErrorIs(t, err, tt.err)
			}
		})
	}
}

// TestReadLineBounded checks that a huge line is refused after reading about
// maxLineLen bytes, not the whole line.
func TestReadLineBounded(t *testing.T) {
	src := &countingReader{r: strings.NewReader(strings.Repeat("x", 64<<20))}
	rr := &replyReader{r: bufio.NewReaderSize(src, 4096)}
	_, err := rr.readReply()
	var pe *ProtocolError
	require.ErrorAs(t, err, &pe)
	assert.Less(t, src.n, int64(4*maxLineLen), "read %d bytes for one line", src.n)
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestStripTelnet(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"\xff\xff", "\xff"},
		{"\xff\xff\xff\xff", "\xff\xff"},
		{"a\xff\xfb\x01b", "ab"},
		{"a\xff\xfb", "a"},
		{"a\xff", "a"},
		{"\xff\xf4\xff\xf2x", "x"}, // IAC IP IAC DM, as sent before ABOR
		{"a\xff\xff\xfb\x01", "a\xff\xfb\x01"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, stripTelnet([]byte(tt.in)), "%q", tt.in)
	}
}

func TestParseCodeLine(t *testing.T) {
	tests := []struct {
		line string
		code int
		sep  byte
		text string
		ok   bool
	}{
		{"220 hi", 220, ' ', "hi", true},
		{"211-x", 211, '-', "x", true},
		{"220", 220, ' ', "", true},
		{"220 ", 220, ' ', "", true},
		{"100 a", 100, ' ', "a", true},
		{"599 a", 599, ' ', "a", true},
		{"22", 0, 0, "", false},
		{"", 0, 0, "", false},
		{"099 a", 0, 0, "", false},
		{"600 a", 0, 0, "", false},
		{"22a a", 0, 0, "", false},
		{"220_a", 0, 0, "", false},
		{"2200", 0, 0, "", false},
	}
	for _, tt := range tests {
		code, sep, text, ok := parseCodeLine(tt.line)
		assert.Equal(t, tt.ok, ok, "%q", tt.line)
		if tt.ok {
			assert.Equal(t, tt.code, code, "%q", tt.line)
			assert.Equal(t, tt.sep, sep, "%q", tt.line)
			assert.Equal(t, tt.text, text, "%q", tt.line)
		}
	}
}

func TestErrorIs(t *testing.T) {
	tests := []struct {
		code                            int
		msg                             string
		notExist, permission, supported bool
	}{
		{550, "No such file or directory", true, false, false},
		{550, "/x: Permission denied", false, true, false},
		{550, "Access DENIED", false, true, false},
		{550, "Operation not allowed", false, true, false},
		{450, "File not found", true, false, false},
		{530, "Not logged in", false, true, false},
		{532, "Need account for storing files", false, true, false},
		{502, "Command not implemented", false, false, true},
		{504, "Command not implemented for that parameter", false, false, true},
		{500, "Syntax error, command unrecognized", false, false, true},
		{226, "ok", false, false, false},
		{553, "File name not allowed", false, false, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d %s", tt.code, tt.msg), func(t *testing.T) {
			var err error = &Error{Command: "RETR x", Code: tt.code, Msg: tt.msg}
			wrapped := fmt.Errorf("wrapped: %w", err)
			for _, e := range []error{err, wrapped} {
				assert.Equal(t, tt.notExist, errors.Is(e, fs.ErrNotExist), "fs.ErrNotExist")
				assert.Equal(t, tt.permission, errors.Is(e, fs.ErrPermission), "fs.ErrPermission")
				assert.Equal(t, tt.supported, errors.Is(e, ErrNotSupported), "ErrNotSupported")
				assert.False(t, errors.Is(e, fs.ErrExist))
				assert.False(t, errors.Is(e, ErrClosed))
				var fe *Error
				require.ErrorAs(t, e, &fe)
				assert.Equal(t, tt.code, fe.Code)
			}
		})
	}
}

func TestErrorMethods(t *testing.T) {
	e := &Error{Command: "RETR x", Code: 451, Msg: "first line\nsecond line\nend"}
	assert.Equal(t, "ftp: RETR x: 451 first line ...", e.Error())
	assert.True(t, e.Temporary())
	assert.False(t, (&Error{Code: 550}).Temporary())
	assert.Equal(t, "ftp: RETR x: 550 gone", (&Error{Command: "RETR x", Code: 550, Msg: "gone"}).Error())

	pe := &ProtocolError{Reason: "bad", Line: "xyz"}
	assert.Equal(t, `ftp: reply: protocol error: bad: "xyz"`, pe.Error())
	pe = &ProtocolError{Command: "PASV", Reason: "bad"}
	assert.Equal(t, "ftp: PASV: protocol error: bad", pe.Error())

	r := Reply{Code: 211, Message: "a\nb"}
	assert.Equal(t, 2, r.Class())
	assert.Equal(t, []string{"a", "b"}, r.Lines())
	assert.Equal(t, "211 a\nb", r.String())
}

func TestStatusText(t *testing.T) {
	assert.Equal(t, "Service ready for new user.", StatusText(StatusReady))
	assert.Equal(t, "Requested action not taken. File unavailable.", StatusText(550))
	assert.Equal(t, "Entering Extended Passive Mode.", StatusText(229))
	assert.Equal(t, "", StatusText(299))
	assert.Equal(t, "", StatusText(0))
	for code := 100; code < 600; code++ {
		if s := StatusText(code); s != "" {
			assert.True(t, strings.HasSuffix(s, "."), "%d: %q", code, s)
		}
	}
}

func FuzzReadReply(f *testing.F) {
	for _, s := range []string{
		"220 hi\r\n",
		"220\r\n",
		"211-a\r\n b\r\n211 c\r\n",
		"211-a\n211-b\n211 c\n",
		"200 a\xff\xffb\xff\xfb\x01\r\n",
		"211-a\r\n",
		"600 x\r\n",
		"22 x\r\n",
		"\xff\xfd\x01220 x\r\n331 y\r\n",
		"2\x0000\r\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rr := &replyReader{r: bufio.NewReaderSize(bytesReader(data), 4096)}
		for range 1000 {
			r, err := rr.readReply()
			if err != nil {
				if r != (Reply{}) {
					t.Fatalf("reply %v returned with error %v", r, err)
				}
				var pe *ProtocolError
				if !errors.As(err, &pe) && err != io.EOF && err != io.ErrUnexpectedEOF {
					t.Fatalf("unexpected error type %T: %v", err, err)
				}
				return
			}
			if r.Code < 100 || r.Code > 599 {
				t.Fatalf("code %d out of range", r.Code)
			}
			if len(r.Message) > maxReplyLen {
				t.Fatalf("message of %d bytes exceeds the cap", len(r.Message))
			}
			for _, line := range r.Lines() {
				if len(line) > maxLineLen {
					t.Fatalf("line of %d bytes exceeds the cap", len(line))
				}
			}
		}
	})
}

func bytesReader(b []byte) io.Reader { return strings.NewReader(string(b)) }
