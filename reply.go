// The RFC 959 reply reader (section 4.2) and the errors that carry a reply.

package ftp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
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

// Error is a reply with a code the command did not expect. Command is the
// command line as sent, with the argument of PASS masked.
type Error struct {
	Command string
	Code    int
	Msg     string
}

func (e *Error) Error() string {
	msg := e.Msg
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i] + " ..."
	}
	return fmt.Sprintf("ftp: %s: %d %s", e.Command, e.Code, msg)
}

// Is reports the reply's meaning to errors.Is: 550 (file unavailable)
// matches fs.ErrNotExist unless its text speaks of permission, and 450
// (file busy) only when its text says the file is not there; 530, 532 and a
// 550 about permission match fs.ErrPermission; 502 and 504 match
// ErrNotSupported. The code stays available through errors.As.
func (e *Error) Is(target error) bool {
	switch target {
	case fs.ErrNotExist:
		switch e.Code {
		case StatusFileUnavailable:
			return !mentionsPermission(e.Msg)
		case StatusFileActionIgnored:
			return mentionsMissing(e.Msg)
		}
		return false
	case fs.ErrPermission:
		return e.Code == StatusNotLoggedIn || e.Code == StatusNeedAccountToStore ||
			(e.Code == StatusFileUnavailable && mentionsPermission(e.Msg))
	case ErrNotSupported:
		return e.Code == StatusNotImplemented || e.Code == StatusParameterNotImplemented
	}
	return false
}

// Temporary reports whether the reply is a transient failure (4xx), after
// which the same command may succeed later.
func (e *Error) Temporary() bool { return e.Code/100 == 4 }

func mentionsMissing(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "not found") || strings.Contains(m, "no such") || strings.Contains(m, "not exist")
}

func mentionsPermission(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "permission") || strings.Contains(m, "denied") || strings.Contains(m, "not allowed")
}

// ProtocolError reports a reply, or a part of one, that breaks the rules of
// the protocol: a bad code, an overlong line, an unterminated multi-line
// reply, an unparsable 227 address. One met while reading or on the way to
// a data connection closes the Conn; one in the text of a complete reply
// (a PWD path without its closing quote, a SIZE without a number) leaves
// it usable.
type ProtocolError struct {
	Command string // the command whose reply was being read, "" for the greeting
	Reason  string
	Line    string // the offending text, shortened
}

func (e *ProtocolError) Error() string {
	cmd := e.Command
	if cmd == "" {
		cmd = "reply"
	}
	if e.Line == "" {
		return fmt.Sprintf("ftp: %s: protocol error: %s", cmd, e.Reason)
	}
	return fmt.Sprintf("ftp: %s: protocol error: %s: %q", cmd, e.Reason, e.Line)
}

// Sentinels for states that are not replies.
var (
	// ErrClosed is returned by every operation on a Conn that was closed,
	// by the caller or after an error that left the control connection in an
	// unknown state.
	ErrClosed = errors.New("ftp: connection closed")
	// ErrNotSupported is matched by errors for commands or features the
	// server does not offer (502/504 replies and features absent from FEAT).
	ErrNotSupported = errors.New("not supported by the server")

	// ErrUnsolicitedReply is matched when the server sent more than the
	// reply to the command outstanding: a queued or injected reply that
	// would be read as the answer to the next command. The connection is
	// closed.
	ErrUnsolicitedReply = errors.New("ftp: reply with no command outstanding")
	// ErrInvalidArgument is matched by errors for arguments that would break
	// the command line: CR, LF or NUL anywhere in them.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrDataConnection is matched by errors in opening or using a data
	// connection: connect, accept, TLS handshake, or I/O during a transfer.
	ErrDataConnection = errors.New("data connection failed")
	// ErrBusy is returned when a command is issued while a transfer's data
	// stream is still open on the same Conn.
	ErrBusy = errors.New("ftp: a transfer is in progress on this connection")
)

// dataConnError marks a data connection failure for errors.Is while
// keeping its message and its cause.
type dataConnError struct {
	msg string
	err error
}

func (e *dataConnError) Error() string   { return e.msg }
func (e *dataConnError) Unwrap() []error { return []error{ErrDataConnection, e.err} }

func dataConnErrorf(err error, format string, args ...any) error {
	return &dataConnError{msg: fmt.Sprintf(format, args...), err: err}
}

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
