// Errors: the reply error (*Error, with its code and command), the error
// types and sentinels of the package, and Retryable, which tells the
// failures worth another attempt from the others.

package ftp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strings"

	"github.com/seed362563c3/ftp/listing"
)

// ErrForeignDataConnection is matched when an active-mode data connection
// came from a host other than the control connection's peer and no
// connection from the peer followed before the accept timeout.
var ErrForeignDataConnection = errors.New("ftp: data connection from a foreign host refused")

// ErrUnparsedLine is matched by a *ListError: a listing held lines that no
// known format describes.
var ErrUnparsedLine = listing.ErrUnparsedLine

// ListError reports the lines of a listing that could not be parsed. The
// entries that were parsed are still returned beside it, so a caller may
// choose to go on; nothing is dropped silently: Count says how many lines
// were not understood, and Lines keeps the first 16 of them as a sample (a
// listing of garbage costs no more memory than that).
type ListError struct {
	Command string   // LIST or MLSD with its argument
	Lines   []string // the first (at most 16) lines not understood, as received
	Count   int      // how many lines were not understood in all
}

func (e *ListError) Error() string {
	first := ""
	if len(e.Lines) > 0 {
		first = e.Lines[0]
		if len(first) > 80 {
			first = first[:80] + "..."
		}
	}
	return fmt.Sprintf("ftp: %s: %d listing line(s) not understood, first: %q", e.Command, max(e.Count, len(e.Lines)), first)
}

// Unwrap lets errors.Is(err, ErrUnparsedLine) match.
func (e *ListError) Unwrap() error { return ErrUnparsedLine }

// ErrLimit is matched by a *LimitError.
var ErrLimit = errors.New("ftp: limit exceeded")

// LimitError reports that a listing, walk, mirror or RemoveAll went past
// one of its limits (see Limits and ListOptions).
type LimitError struct {
	// Limit names the limit: "MaxListEntries", "MaxDepth", "MaxPathLen",
	// "MaxEntries" or "MaxPending", as the fields of Limits.
	Limit string
	// Max is the limit's value.
	Max int64
	// Path is where the limit was passed: the directory whose listing was
	// cut or went past MaxEntries or MaxPending, the directory too deep to
	// be listed, or the directory holding a name whose path is too long.
	Path string
	// Name is, for MaxPathLen, the listed name whose path is too long.
	Name string
}

func (e *LimitError) Error() string {
	if e.Name != "" {
		return fmt.Sprintf("ftp: %s: the path of %q is longer than %d bytes (%s)", shorten(e.Path), shorten(e.Name), e.Max, e.Limit)
	}
	return fmt.Sprintf("ftp: %s: past the limit %s = %d", shorten(e.Path), e.Limit, e.Max)
}

// Unwrap lets errors.Is(err, ErrLimit) match.
func (e *LimitError) Unwrap() error { return ErrLimit }

// ErrPoolClosed is returned by a Pool after Close.
var ErrPoolClosed = errors.New("ftp: pool closed")

// ErrActiveThroughProxy is matched when a transfer in active mode is asked
// of a connection that goes through a proxy: a SOCKS5 or HTTP CONNECT
// tunnel carries only connections the client opens, so the server could
// not connect back. Use passive mode (Config.Active nil).
var ErrActiveThroughProxy = errors.New("ftp: active mode cannot work through a proxy: the server cannot connect back through the tunnel")

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
// 550 about permission match fs.ErrPermission; 500, 502 and 504 match
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
		return e.Code == StatusNotImplemented || e.Code == StatusParameterNotImplemented || e.Code == StatusBadCommand
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
	// server does not offer (500, 502 and 504 replies, and features absent
	// from FEAT). Like ErrInvalidArgument and ErrDataConnection it has no
	// "ftp: " prefix: it names the reason inside messages that carry it.
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

func (e *dataConnError) Error() string { return e.msg }

func (e *dataConnError) Unwrap() []error { return []error{ErrDataConnection, e.err} }

func dataConnErrorf(err error, format string, args ...any) error {
	return &dataConnError{msg: fmt.Sprintf(format, args...), err: err}
}

// ErrVerify is matched when a transfer's checksum or size does not match.
var ErrVerify = errors.New("ftp: verification failed")

// ErrTLSRequired is matched when TLS was asked for and the server refused
// AUTH TLS, or logged the client in before any authentication. No
// credentials were sent.
var ErrTLSRequired = errors.New("ftp: the server does not offer the TLS that was required")

// ErrPipelinedTLS is matched when the server sent bytes after its 234 reply
// to AUTH TLS, before the handshake: text that would be read as if it came
// through TLS (the attack of CVE-2021-22947). The connection is closed.
var ErrPipelinedTLS = errors.New("ftp: server sent data before the TLS handshake")

// TLSError reports a failed TLS handshake or TLS negotiation.
type TLSError struct {
	Op  string // "control", "data" or the command
	Err error
}

func (e *TLSError) Error() string { return fmt.Sprintf("ftp: TLS %s: %v", e.Op, e.Err) }

func (e *TLSError) Unwrap() error { return e.Err }

// LengthError reports a download whose length disagrees with the size the
// server announced in its 150 reply or the one the caller expected
// (Reader.ExpectSize; the resumable helpers expect what SIZE said),
// whatever the server's final reply: a short stream matches
// io.ErrUnexpectedEOF (the rest may come with a resumed transfer), an
// overlong one matches ErrVerify (nothing beyond the expected length was
// returned).
type LengthError struct {
	Command string
	Want    int64  // the expected length of the stream
	Got     int64  // bytes received; for an overlong stream, Want+1 at least
	Source  string // where Want came from: "150 reply" or "expected size"
}

func (e *LengthError) Error() string {
	if e.Got > e.Want {
		return fmt.Sprintf("ftp: %s: the server sent more than the %d bytes of the %s", e.Command, e.Want, e.Source)
	}
	return fmt.Sprintf("ftp: %s: received %d of the %d bytes of the %s", e.Command, e.Got, e.Want, e.Source)
}

// Is matches io.ErrUnexpectedEOF for a short stream and ErrVerify for an
// overlong one.
func (e *LengthError) Is(target error) bool {
	if e.Got > e.Want {
		return target == ErrVerify
	}
	return target == io.ErrUnexpectedEOF
}

// SourceError reports that the caller's reader failed during an upload; the
// upload was aborted and the remote file may hold a part of the data.
type SourceError struct {
	Command string
	Err     error
}

func (e *SourceError) Error() string {
	return fmt.Sprintf("ftp: %s: reading the data to send: %v", e.Command, e.Err)
}

func (e *SourceError) Unwrap() error { return e.Err }

// ErrUnsafeName is matched by an *UnsafeNameError.
var ErrUnsafeName = errors.New("ftp: unsafe name in a listing")

// UnsafeNameError reports an entry whose name is not a single, harmless
// path element: empty, ".", "..", absolute, or holding '/', '\\', NUL, CR
// or LF. A hostile or broken server could use such a name to make a
// client write outside the directory it mirrors into, so List, NameList,
// Walk, RemoveAll, FS and the mirrors refuse it before any path is built
// from it.
type UnsafeNameError struct {
	Dir  string // the directory whose listing held the name
	Name string // the name, as the server sent it
	// Entry is the refused entry as listed (by List, ListAll, ListWith),
	// for a program that only shows it: its Name must never become part
	// of a local path.
	Entry *Entry
}

func (e *UnsafeNameError) Error() string {
	return fmt.Sprintf("ftp: %s: unsafe name %q refused", e.Dir, e.Name)
}

// Unwrap lets errors.Is(err, ErrUnsafeName) match.
func (e *UnsafeNameError) Unwrap() error { return ErrUnsafeName }

// Retryable reports whether an operation that failed with err may succeed
// if tried again on a new connection: a dropped or reset connection, a
// timeout, a data connection that failed, a short download, a TLS
// handshake cut by the network, and the transient replies 421, 425, 426,
// 450 and 451. It is false for a cancelled or expired context, the other
// replies (550 and the like), bad arguments, unsupported features, failed
// verifications and overlong downloads, protocol errors, a source that
// failed, certificates and TLS refusals, names that do not resolve, limits
// and unsafe names. Programs that retry, as the resume package does, ask
// it before each new attempt.
func Retryable(err error) bool {
	var fe *Error
	switch {
	case err == nil:
		return false
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	case errors.As(err, &fe):
		switch fe.Code {
		case StatusNotAvailable, StatusCanNotOpenDataConnection, StatusTransferAborted,
			StatusFileActionIgnored, StatusActionAborted:
			return true
		}
		return false
	case errors.Is(err, ErrInvalidArgument), errors.Is(err, ErrNotSupported),
		errors.Is(err, ErrVerify), errors.Is(err, ErrTLSRequired), errors.Is(err, ErrPipelinedTLS),
		errors.Is(err, ErrLimit), errors.Is(err, ErrUnsafeName), errors.Is(err, ErrPoolClosed):
		return false
	}
	var se *SourceError
	var pe *ProtocolError
	var te *TLSError
	var dnsErr *net.DNSError
	if errors.As(err, &se) || errors.As(err, &pe) || errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return false
	}
	if errors.As(err, &te) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		var ne net.Error
		return errors.As(err, &ne) // a handshake cut by the network, not a bad certificate
	}
	return true
}
