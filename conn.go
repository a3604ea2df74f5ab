// The control connection: one command path, deadlines, cancellation and logging.

package ftp

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Conn is one FTP control connection and the session on it. It is not safe
// for concurrent use: one command runs at a time, and while a Reader or
// Writer returned by a transfer is open no other command may be issued
// (ErrBusy). Close may be called from any goroutine to stop everything.
type Conn struct {
	cfg  *Config
	nc   net.Conn
	br   *bufio.Reader
	rr   replyReader
	peer net.IP // the control connection's peer: the server, or a proxy
	// dataHost is where passive data connections go: the peer's IP or,
	// through a DialContext hook, the host the control connection was
	// dialled to (a name, when it was one).
	dataHost string
	proxied  bool // the control connection is a Tunnel through a proxy

	deadlineMu sync.Mutex
	cancelled  bool   // a context fired during I/O: the deadline stays in the past
	watching   bool   // a watch is active
	watchID    uint64 // identifies the active watch
	// readLimit, when set, caps the read deadline: an ABOR written while
	// another goroutine waits for a reply bounds that wait (abortInFlight).
	readLimit time.Time

	opMu   sync.Mutex // held while a line is written or a reply read
	closed atomic.Bool
	// gone is closed when the Conn closes (Close or abandon): waits that
	// no deadline of the control connection reaches (a data connection's
	// handshake, an accept) end with it.
	gone       chan struct{}
	goneCtx    context.Context // cancelled with gone, for context.AfterFunc
	goneCancel context.CancelFunc
	goneOnce   sync.Once
	dataMu     sync.Mutex
	data       net.Conn // the open transfer's data connection, closed by Close
	errMu      sync.Mutex
	closeErr   error         // why the connection was closed, when not by Close
	lingering  chan struct{} // closed when an abandoned connection is fully shut

	tlsConf  *tls.Config // the session's TLS settings, nil for plain FTP
	protData bool        // PROT P is in force: data connections use TLS

	features Features // nil until FEAT was sent
	epsvOff  bool     // EPSV failed once: PASV from now on
	eprtOff  bool     // EPRT failed once: PORT from now on
	curType  TransferType
	wantType TransferType
	busy     atomic.Bool // a data stream is open
	// dataFailed: the last transfer could not open its data connection.
	dataFailed atomic.Bool
	utf8Sent   bool
	hashAlgo   string // the algorithm chosen with OPTS HASH
	// owedNoops counts keepalive NOOPs whose answers are still to be read.
	owedNoops int
	// preLoggedIn: the greeting was 230, the server needs no login.
	preLoggedIn bool
	welcome     string
	// learned is what the session found out about its server beyond FEAT
	// (working directory, LIST -a, how to set times).
	learned notes
}

// TransferType is the representation type set with TYPE.
type TransferType byte

// Representation types. Binary is the default of every Conn.
const (
	TypeBinary TransferType = 'I'
	TypeASCII  TransferType = 'A'
)

// aLongTimeAgo is a deadline that stops blocked I/O at once.
var aLongTimeAgo = time.Unix(1, 0)

// validateArg rejects text that would end the command line early.
func validateArg(verb, arg string) error {
	if strings.ContainsAny(arg, "\r\n\x00") || strings.ContainsAny(verb, "\r\n\x00 ") {
		shown := fmt.Sprintf("%q", arg)
		switch {
		case strings.EqualFold(verb, "PASS"):
			shown = "the password"
		case strings.EqualFold(verb, "ACCT"):
			shown = "the account"
		}
		return fmt.Errorf("ftp: %s: %w: %s contains CR, LF or NUL", strings.TrimSpace(verb), ErrInvalidArgument, shown)
	}
	return nil
}

// logLine returns the command line as it may be logged or put in an error:
// the arguments of PASS and ACCT (an account is a second password) are
// masked.
func logLine(verb, arg string) string {
	switch {
	case strings.EqualFold(verb, "PASS"):
		return "PASS ****"
	case strings.EqualFold(verb, "ACCT"):
		return "ACCT ****"
	}
	if arg == "" {
		return verb
	}
	return verb + " " + arg
}

// usable returns the error that forbids a new command, if any.
func (c *Conn) usable() error {
	if c.closed.Load() {
		c.errMu.Lock()
		why := c.closeErr
		c.errMu.Unlock()
		if why != nil {
			return fmt.Errorf("%w: %w", ErrClosed, why)
		}
		return ErrClosed
	}
	if c.busy.Load() {
		return ErrBusy
	}
	return nil
}

// watch arranges for blocked I/O on the control connection to stop when ctx
// is done. The returned function ends the watch; after it, the connection's
// deadlines are usable again, so an operation that completed just as ctx
// fired leaves the connection in step. Only one watch runs at a time.
func (c *Conn) watch(ctx context.Context) (stop func()) {
	if ctx.Done() == nil {
		return func() {}
	}
	c.deadlineMu.Lock()
	c.watchID++
	id := c.watchID
	c.watching = true
	c.deadlineMu.Unlock()
	stopAfter := context.AfterFunc(ctx, func() {
		c.deadlineMu.Lock()
		if c.watching && c.watchID == id {
			c.cancelled = true
			c.nc.SetDeadline(aLongTimeAgo)
		}
		c.deadlineMu.Unlock()
	})
	return func() {
		stopAfter()
		c.deadlineMu.Lock()
		c.watching = false
		if c.cancelled {
			c.cancelled = false
			c.nc.SetDeadline(time.Time{})
		}
		c.deadlineMu.Unlock()
	}
}

// setReadDeadline sets the per-reply deadline unless a cancellation already
// moved it to the past.
func (c *Conn) setReadDeadline(d time.Duration) {
	c.deadlineMu.Lock()
	defer c.deadlineMu.Unlock()
	if c.cancelled {
		return
	}
	var t time.Time
	if d > 0 {
		t = time.Now().Add(d)
	}
	if !c.readLimit.IsZero() && (t.IsZero() || t.After(c.readLimit)) {
		t = c.readLimit
	}
	c.nc.SetReadDeadline(t)
}

// abortInFlight writes ABOR while another goroutine waits for the first
// reply to a transfer command (holding opMu), and limits that wait to the
// abort time limit until endAbortInFlight. Only establish uses it, when the
// data connection failed before the server said anything: no other command
// can be written meanwhile.
func (c *Conn) abortInFlight() error {
	if err := c.usable(); err != nil && !errors.Is(err, ErrBusy) {
		return err
	}
	if c.cfg.Logger != nil {
		c.cfg.Logger.Debug("ftp command", "send", "ABOR")
	}
	c.deadlineMu.Lock()
	c.readLimit = time.Now().Add(c.abortTimeout())
	if !c.cancelled {
		c.nc.SetReadDeadline(c.readLimit)
		c.nc.SetWriteDeadline(time.Now().Add(c.cfg.dialTimeout()))
	}
	c.deadlineMu.Unlock()
	_, err := io.WriteString(c.nc, "ABOR\r\n")
	return err
}

// endAbortInFlight lifts the limit abortInFlight set.
func (c *Conn) endAbortInFlight() {
	c.deadlineMu.Lock()
	c.readLimit = time.Time{}
	c.deadlineMu.Unlock()
}

// fail closes the connection after an error that leaves the dialogue in an
// unknown state, and returns err with the cancellation cause when there is one.
func (c *Conn) fail(ctx context.Context, cmd string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		err = fmt.Errorf("ftp: %s: %w", cmdName(cmd), ctxErr)
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		err = fmt.Errorf("ftp: %s: no reply in time: %w", cmdName(cmd), err)
	} else if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = fmt.Errorf("ftp: %s: server closed the connection: %w", cmdName(cmd), io.ErrUnexpectedEOF)
	} else if pe, ok := err.(*ProtocolError); ok {
		pe.Command = cmd
	} else if !strings.HasPrefix(err.Error(), "ftp: ") {
		err = fmt.Errorf("ftp: %s: %w", cmdName(cmd), err)
	}
	c.abandon(err)
	return err
}

func cmdName(cmd string) string {
	if cmd == "" {
		return "greeting"
	}
	return cmd
}

// abandon closes the connection without QUIT.
func (c *Conn) abandon(why error) {
	c.errMu.Lock()
	if c.closeErr == nil {
		c.closeErr = why
	}
	c.errMu.Unlock()
	if !c.closed.CompareAndSwap(false, true) {
		return
	}
	c.markGone()
	// Half-close and read until the server closes too (bounded), so that
	// a command it has not run yet (a STOR that would truncate) is run or
	// dropped before a retry on a new connection starts: WaitClosed.
	cw, ok := c.nc.(interface{ CloseWrite() error })
	if !ok {
		c.nc.Close()
		return
	}
	done := make(chan struct{})
	c.errMu.Lock()
	c.lingering = done
	c.errMu.Unlock()
	cw.CloseWrite()
	go func() {
		defer close(done)
		c.deadlineMu.Lock()
		c.nc.SetReadDeadline(time.Now().Add(min(c.cfg.replyTimeout(), 30*time.Second) + time.Second))
		c.deadlineMu.Unlock()
		io.Copy(io.Discard, c.nc)
		c.nc.Close()
	}()
}

// WaitClosed waits, after an error closed the Conn (Err is not nil), until
// the server has seen the end of the control connection and dropped it
// (or a bound of ReplyTimeout, at most 30 s, passed, or ctx ended). A
// program that retries on a new connection waits for it first: a command
// the server had not run yet on the old one (a STOR that would truncate
// the file) is then run or dropped before the new one starts. It returns
// at once for a Conn closed by Close, or not closed.
func (c *Conn) WaitClosed(ctx context.Context) {
	c.errMu.Lock()
	ch := c.lingering
	c.errMu.Unlock()
	if ch == nil {
		return
	}
	select {
	case <-ch:
	case <-ctx.Done():
	}
}

// send writes one command line. Nothing is written if the arguments are bad.
func (c *Conn) send(ctx context.Context, verb, arg string) error {
	if err := c.usable(); err != nil {
		return err
	}
	if err := validateArg(verb, arg); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("ftp: %s: %w", verb, err)
	}
	line := verb
	if arg != "" {
		line += " " + arg
	}
	if c.cfg.Logger != nil {
		c.cfg.Logger.Debug("ftp command", "send", logLine(verb, arg))
	}
	c.opMu.Lock()
	defer c.opMu.Unlock()
	stop := c.watch(ctx)
	c.deadlineMu.Lock()
	if !c.cancelled {
		c.nc.SetWriteDeadline(time.Now().Add(c.cfg.dialTimeout()))
	}
	c.deadlineMu.Unlock()
	_, err := io.WriteString(c.nc, line+"\r\n")
	stop()
	if err != nil {
		return c.fail(ctx, logLine(verb, arg), err)
	}
	return nil
}

// readReply reads one reply for cmd (used in errors) within the reply timeout.
func (c *Conn) readReply(ctx context.Context, cmd string) (Reply, error) {
	return c.readReplyWithin(ctx, cmd, c.cfg.replyTimeout())
}

func (c *Conn) readReplyWithin(ctx context.Context, cmd string, timeout time.Duration) (Reply, error) {
	if c.closed.Load() {
		return Reply{}, c.usable()
	}
	c.opMu.Lock()
	stop := c.watch(ctx)
	c.setReadDeadline(timeout)
	r, err := c.rr.readReply()
	stop()
	c.opMu.Unlock()
	if err != nil {
		return Reply{}, c.fail(ctx, cmd, err)
	}
	if c.cfg.Logger != nil {
		c.cfg.Logger.Debug("ftp reply", "code", r.Code, "text", r.Message)
	}
	if r.Code == StatusNotAvailable {
		// 421: the server is closing the control connection.
		e := &Error{Command: cmdName(cmd), Code: r.Code, Msg: r.Message}
		c.abandon(e)
		return r, e
	}
	return r, nil
}

// expect reports whether code matches one of want: a three-digit code
// matches exactly, a single digit matches the class.
func expect(code int, want []int) bool {
	for _, w := range want {
		if w < 10 && code/100 == w || code == w {
			return true
		}
	}
	return false
}

// cmd is the one command path: it validates, sends, reads the final reply
// (skipping none: 1xx is a final answer only for transfer commands, which use
// their own path) and checks the code against want.
func (c *Conn) cmd(ctx context.Context, verb, arg string, want ...int) (Reply, error) {
	if err := c.send(ctx, verb, arg); err != nil {
		return Reply{}, err
	}
	line := logLine(verb, arg)
	r, err := c.readReply(ctx, line)
	if err != nil {
		return r, err
	}
	if err := c.checkUnsolicited(line); err != nil {
		return r, err
	}
	if !expect(r.Code, want) {
		return r, &Error{Command: line, Code: r.Code, Msg: r.Message}
	}
	return r, nil
}

// Quote sends one raw command line, such as "SITE CHMOD 644 file", and
// returns the server's reply whatever its code: an error is returned only
// for bad arguments and broken connections. It is the escape hatch for SITE
// and vendor commands; commands that open a data connection must not be sent
// this way. Quote("PASS x") and Quote("ACCT x") are logged masked like the
// built-in login.
func (c *Conn) Quote(ctx context.Context, line string) (Reply, error) {
	verb, arg, _ := strings.Cut(line, " ")
	if verb == "" {
		return Reply{}, fmt.Errorf("ftp: quote: %w: empty command", ErrInvalidArgument)
	}
	if err := c.send(ctx, verb, arg); err != nil {
		return Reply{}, err
	}
	r, err := c.readReply(ctx, logLine(verb, arg))
	if err == nil {
		err = c.checkUnsolicited(logLine(verb, arg))
	}
	return r, err
}

// checkUnsolicited fails when more bytes arrived than the reply to the
// command just sent: a reply no command asked for (queued replies after
// a refused AUTH TLS, or something on the path injecting them) would be
// taken as the answer to the next command and desynchronise the session.
// Keepalive NOOPs are the one reason for replies in advance, and they are
// counted.
func (c *Conn) checkUnsolicited(line string) error {
	if c.br.Buffered() == 0 || c.owedNoops > 0 {
		return nil
	}
	extra, _ := c.br.Peek(min(c.br.Buffered(), 120))
	err := fmt.Errorf("%w: %w", ErrUnsolicitedReply, &ProtocolError{Command: line, Reason: fmt.Sprintf("%d bytes arrived after the reply, with no command outstanding", c.br.Buffered()), Line: string(extra)})
	c.abandon(err)
	return err
}

// greet reads the greeting: 120 replies may precede 220; 421 and anything
// else are errors.
func (c *Conn) greet(ctx context.Context) error {
	for range 5 {
		r, err := c.readReply(ctx, "")
		if err != nil {
			return err
		}
		switch r.Code {
		case StatusReadyMinute:
			continue
		case StatusReady:
			c.welcome = r.Message
			return nil
		case StatusLoggedIn:
			// Logged in before any authentication. With TLS required the
			// session would run in plain text: refuse it.
			if c.cfg.TLS == TLSExplicit {
				err := fmt.Errorf("%w: %w", ErrTLSRequired, &Error{Command: "greeting", Code: r.Code, Msg: r.Message})
				c.abandon(err)
				return err
			}
			c.welcome = r.Message
			c.preLoggedIn = true
			return nil
		default:
			e := &Error{Command: "greeting", Code: r.Code, Msg: r.Message}
			c.abandon(e)
			return e
		}
	}
	e := &ProtocolError{Command: "greeting", Reason: "too many 120 replies"}
	c.abandon(e)
	return e
}

// login runs HOST (when configured), USER, PASS and ACCT as the server asks.
func (c *Conn) login(ctx context.Context) error {
	if c.cfg.Host != "" {
		_, err := c.cmd(ctx, "HOST", c.cfg.Host, 2)
		var fe *Error
		if err != nil && !(errors.As(err, &fe) && (fe.Code == StatusBadCommand || fe.Code == StatusNotImplemented)) {
			return err
		}
	}
	user, pass := c.cfg.credentials()
	r, err := c.cmd(ctx, "USER", user, StatusLoggedIn, StatusUserOK, StatusLoginNeedAccount)
	if err != nil {
		return err
	}
	if r.Code == StatusUserOK {
		if r, err = c.cmd(ctx, "PASS", pass, StatusLoggedIn, StatusCommandNotImplemented, StatusLoginNeedAccount); err != nil {
			return err
		}
	}
	if r.Code == StatusLoginNeedAccount {
		if _, err = c.cmd(ctx, "ACCT", c.cfg.Account, StatusLoggedIn, StatusCommandNotImplemented); err != nil {
			return err
		}
	}
	return nil
}

// Err reports why the Conn can no longer be used (an error matching
// ErrClosed, wrapping the cause when it was not Close), or nil while it
// can. It sends nothing: a server that went away unnoticed is found by the
// next command, or by NoOp.
func (c *Conn) Err() error {
	if !c.closed.Load() {
		return nil
	}
	return c.usable()
}

// Welcome returns the text of the server's 220 greeting.
func (c *Conn) Welcome() string { return c.welcome }

// Features is the set parsed from a FEAT reply: upper-case feature names
// mapped to their parameters ("" when none), for example "MLST" to
// "type*;size*;modify*;".
type Features map[string]string

// Has reports whether the server advertised the feature (ASCII
// case-insensitive, as RFC 2389 feature names are ASCII).
func (f Features) Has(name string) bool {
	_, ok := f[asciiUpper(name)]
	return ok
}

// asciiUpper upper-cases ASCII letters only, byte by byte: Unicode case
// mapping does not round-trip (U+03F4 lowers to θ, which uppers to U+0398)
// and changes byte lengths, which would break offsets into the original.
func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
	return string(b)
}

// parseFeatures reads the lines of a 211 FEAT reply; lines that do not start
// with a space are the reply's own first and last lines.
func parseFeatures(r Reply) Features {
	f := Features{}
	lines := r.Lines()
	for i, line := range lines {
		if i == 0 || i == len(lines)-1 || !strings.HasPrefix(line, " ") {
			// Some servers omit the leading space; the first and last
			// lines are the reply's own text.
			if i == 0 || i == len(lines)-1 || strings.TrimSpace(line) == "" {
				continue
			}
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		name, param, _ := strings.Cut(line, " ")
		f[asciiUpper(name)] = strings.TrimSpace(param)
	}
	return f
}

// Features returns the server's FEAT answer, asking for it once per session.
// A server without FEAT has an empty set. When UTF8 is advertised and not
// disabled, OPTS UTF8 ON is sent the first time.
func (c *Conn) Features(ctx context.Context) (Features, error) {
	if c.features != nil {
		return c.features, nil
	}
	r, err := c.cmd(ctx, "FEAT", "", StatusSystem)
	var fe *Error
	switch {
	case errors.As(err, &fe):
		c.features = Features{}
	case err != nil:
		return nil, err
	default:
		c.features = parseFeatures(r)
	}
	if c.features.Has("UTF8") && !c.cfg.DisableUTF8 && !c.utf8Sent {
		c.utf8Sent = true
		// A refusal changes nothing: the server then keeps its own default.
		if _, err := c.cmd(ctx, "OPTS", "UTF8 ON", 2); err != nil && !errors.As(err, &fe) {
			return nil, err
		}
	}
	return c.features, nil
}

// prepareArg makes sure a non-ASCII argument is sent after OPTS UTF8 ON on
// servers that ask for it; pure ASCII costs no round trip.
func (c *Conn) prepareArg(ctx context.Context, arg string) error {
	for i := 0; i < len(arg); i++ {
		if arg[i] >= 0x80 {
			_, err := c.Features(ctx)
			return err
		}
	}
	return nil
}

// setType sends TYPE when the representation type differs from t.
func (c *Conn) setType(ctx context.Context, t TransferType) error {
	if c.curType == t {
		return nil
	}
	if _, err := c.cmd(ctx, "TYPE", string(rune(t)), 2); err != nil {
		return err
	}
	c.curType = t
	return nil
}

// SetType chooses the representation type of later transfers: TypeBinary
// (TYPE I, the default) or TypeASCII (TYPE A, with line ends converted
// between CRLF on the wire and LF locally, streamed). The command is sent
// before the next transfer that needs it.
func (c *Conn) SetType(t TransferType) error {
	if t != TypeBinary && t != TypeASCII {
		return fmt.Errorf("ftp: TYPE: %w: unknown type %q", ErrInvalidArgument, rune(t))
	}
	c.wantType = t
	return nil
}

// Close sends QUIT, waits briefly (5 s, or ReplyTimeout when shorter) for
// its reply and closes the connection. It is safe to call more than once. Called from another goroutine while an
// operation or a transfer is under way, it closes at once without QUIT, and
// the blocked operation returns an error.
func (c *Conn) Close() error {
	if c.closed.Load() {
		return nil
	}
	if !c.busy.Load() && c.opMu.TryLock() {
		c.opMu.Unlock()
		wait := 5 * time.Second
		if d := c.cfg.replyTimeout(); d > 0 {
			wait = min(wait, d)
		}
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		if c.send(ctx, "QUIT", "") == nil {
			c.readReplyWithin(ctx, "QUIT", wait)
		}
		cancel()
	}
	if c.closed.CompareAndSwap(false, true) {
		c.markGone()
		return c.nc.Close()
	}
	return nil
}

// markGone ends every wait that watches the Conn, and closes the open
// transfer's data connection: Close from another goroutine stops a
// transfer whatever it is waiting for.
func (c *Conn) markGone() {
	c.goneOnce.Do(func() {
		if c.gone != nil {
			close(c.gone)
		}
		if c.goneCancel != nil {
			c.goneCancel()
		}
	})
	c.dataMu.Lock()
	if c.data != nil {
		c.data.Close()
	}
	c.dataMu.Unlock()
}

// setData records the open transfer's data connection (nil when none).
func (c *Conn) setData(nc net.Conn) {
	c.dataMu.Lock()
	c.data = nc
	c.dataMu.Unlock()
	if nc != nil && c.closed.Load() {
		nc.Close()
	}
}

// watchGone cancels cancel when the Conn closes; the returned function
// ends the watch. It costs no goroutine: the call is registered on a
// context that markGone cancels.
func (c *Conn) watchGone(cancel func()) (stop func()) {
	if c.goneCtx == nil {
		return func() {}
	}
	after := context.AfterFunc(c.goneCtx, cancel)
	return func() { after() }
}

// itoa64 formats a byte offset for REST.
func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

func newControlReader(nc net.Conn) *bufio.Reader { return bufio.NewReaderSize(nc, 4096) }
