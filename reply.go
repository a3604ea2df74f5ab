// The RFC 959 reply reader (section 4.2) and the errors that carry a reply.

package ftp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits that keep a hostile server from making the reader hang on memory.
const (
	maxLineLen  = 8 << 10 // one reply line, CRLF included
	maxReplyLen = 1 << 20 // one whole reply, all lines (line ends counted)
)

// Reply is one complete server reply. For a multi-line reply, Message holds
// every line: the first and last without their code prefix, the ones between
// as sent, joined with "\n".
type Reply struct {
	Code    int
	Message string
}

// Lines returns the reply's text split into lines.
func (r Reply) Lines() []string { return strings.Split(r.Message, "\n") }

// Class returns the first digit of the code: 1 preliminary, 2 completion,
// 3 intermediate, 4 transient failure, 5 permanent failure.
func (r Reply) Class() int { return r.Code / 100 }

// String formats the reply as "CODE message".
func (r Reply) String() string { return fmt.Sprintf("%d %s", r.Code, r.Message) }

func shorten(s string) string {
	if len(s) > 120 {
		return s[:120] + "..."
	}
	return s
}

// replyReader reads replies from the control connection's buffered reader.
type replyReader struct {
	r *bufio.Reader
}

// readLine reads one line ending in LF (CRLF or a bare LF), without the line
// end and with Telnet IAC sequences removed. Lines longer than maxLineLen are
// a protocol error; the reader never holds more than that.
func (rr *replyReader) readLine() (string, error) {
	var buf []byte
	for {
		chunk, err := rr.r.ReadSlice('\n')
		if len(buf)+len(chunk) > maxLineLen {
			return "", &ProtocolError{Reason: fmt.Sprintf("reply line longer than %d bytes", maxLineLen), Line: shorten(string(append(buf, chunk...)))}
		}
		buf = append(buf, chunk...)
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err == io.EOF {
			if len(buf) == 0 {
				return "", io.EOF
			}
			return "", io.ErrUnexpectedEOF
		}
		return "", err
	}
	buf = buf[:len(buf)-1]
	if n := len(buf); n > 0 && buf[n-1] == '\r' {
		buf = buf[:n-1]
	}
	line := stripTelnet(buf)
	if strings.IndexByte(line, 0) >= 0 {
		// As curl: a NUL ends a C string early, so a line holding one
		// reads differently to different parsers ("230 logged\0 in").
		return "", &ProtocolError{Reason: "reply line contains a NUL byte", Line: shorten(strings.ReplaceAll(line, "\x00", `\0`))}
	}
	return line, nil
}

// Telnet bytes that may appear in a control stream (RFC 854).
const (
	telnetIAC  = 255
	telnetDONT = 254
	telnetDO   = 253
	telnetWONT = 252
	telnetWILL = 251
)

// stripTelnet removes IAC sequences: option negotiation (IAC WILL/WONT/DO/DONT
// x) and two-byte commands; IAC IAC stands for a literal 255.
func stripTelnet(b []byte) string {
	if !containsByte(b, telnetIAC) {
		return string(b)
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != telnetIAC {
			out = append(out, b[i])
			continue
		}
		if i+1 >= len(b) {
			break
		}
		switch c := b[i+1]; {
		case c == telnetIAC:
			out = append(out, telnetIAC)
			i++
		case c >= telnetWILL && c <= telnetDONT:
			i += 2
		default:
			i++
		}
	}
	return string(out)
}

func containsByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// parseCodeLine splits "123 text" or "123-text" into its code, separator and
// text. A line of just "123" counts as "123 ".
func parseCodeLine(line string) (code int, sep byte, text string, ok bool) {
	if len(line) < 3 {
		return 0, 0, "", false
	}
	for i := 0; i < 3; i++ {
		if line[i] < '0' || line[i] > '9' {
			return 0, 0, "", false
		}
	}
	code = int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
	if line[0] < '1' || line[0] > '5' {
		return 0, 0, "", false
	}
	if len(line) == 3 {
		return code, ' ', "", true
	}
	sep = line[3]
	if sep != ' ' && sep != '-' {
		return 0, 0, "", false
	}
	return code, sep, line[4:], true
}

// readReply reads one complete reply. A multi-line reply starts "123-" and
// ends at the first line that starts with the same code and a space; lines
// between may start with anything, digits included (RFC 959 4.2).
func (rr *replyReader) readReply() (Reply, error) {
	line, err := rr.readLine()
	if err != nil {
		return Reply{}, err
	}
	code, sep, text, ok := parseCodeLine(line)
	if !ok {
		return Reply{}, &ProtocolError{Reason: "reply does not start with a three-digit code", Line: shorten(line)}
	}
	if sep == ' ' {
		return Reply{Code: code, Message: text}, nil
	}
	var sb strings.Builder
	sb.WriteString(text)
	size := len(text)
	for {
		line, err = rr.readLine()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return Reply{}, err
		}
		size += len(line) + 1
		if size > maxReplyLen {
			return Reply{}, &ProtocolError{Reason: fmt.Sprintf("reply longer than %d bytes", maxReplyLen)}
		}
		c, s, t, ok := parseCodeLine(line)
		sb.WriteByte('\n')
		if ok && c == code && s == ' ' {
			sb.WriteString(t)
			return Reply{Code: code, Message: sb.String()}, nil
		}
		// Continuation lines repeat the code with a dash in some servers'
		// style ("123-text"); keep only the text then.
		if ok && c == code && s == '-' {
			sb.WriteString(t)
			continue
		}
		sb.WriteString(line)
	}
}

// refusesSyntax reports whether a reply code refuses a command or its
// arguments as such (500, 501, 502, 504), whatever they name.
func refusesSyntax(code int) bool {
	switch code {
	case StatusBadCommand, StatusBadArguments, StatusNotImplemented, StatusParameterNotImplemented:
		return true
	}
	return false
}
