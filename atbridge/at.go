// The AT layer: options, line reading with echo, the command-line parser,
// the four command forms, dispatch, result codes and the serialized writer.

package atbridge

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/seed362563c3/ftp"
)

// Dialect chooses the command set a Modem speaks.
type Dialect int

const (
	// Quectel is the AT+QFTP* command set of the EC200x/EC600x/EG912Y
	// application note, with AT+QICSGP/QIACT/QIDEACT, AT+QSSLCFG and the
	// AT+QF* local file commands.
	Quectel Dialect = iota
	// Luat is the AT+FTP* command set of the Luat (Air series) manual, with
	// the AT+SAPBR bearer.
	Luat
)

// String returns "quectel" or "luat".
func (d Dialect) String() string {
	if d == Luat {
		return "luat"
	}
	return "quectel"
}

// ParseDialect reads "quectel" or "luat" (any case).
func ParseDialect(s string) (Dialect, error) {
	switch strings.ToLower(s) {
	case "quectel":
		return Quectel, nil
	case "luat":
		return Luat, nil
	}
	return 0, fmt.Errorf("atbridge: unknown dialect %q (want quectel or luat)", s)
}

// Options configures a Modem. The zero value behaves like a module fresh
// from power-on, with the documented timings.
type Options struct {
	// NoEcho starts with echo off, as after ATE0. Modules start with ATE1.
	NoEcho bool

	// EscapeGuard is the guard time of the "+++" escape from data mode: the
	// silence required before and after it, and the span within which its
	// three characters must arrive. Zero means one second, as documented.
	EscapeGuard time.Duration

	// Second is the length of one second in the documented timeouts
	// (rsptimeout, data_timeout, the AT+QFUPL timeout, AT+FTPTIMEOUT).
	// Zero means time.Second; tests shrink it.
	Second time.Duration

	// DialContext opens the FTP control and data connections. Nil means a
	// net.Dialer.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)

	// BearerIP is the address reported for an active PDP context or bearer
	// (AT+QIACT?, AT+SAPBR=2). Empty means "10.0.0.2".
	BearerIP string

	// TLSConfig is the base of every FTPS session: root CAs, client
	// certificates. AT+QSSLCFG settings are applied on top of a clone.
	TLSConfig *tls.Config

	// LuatContextFile is where AT+FTPSCONT saves the Luat FTP context; it is
	// loaded when the Modem is created. Empty keeps the saved context in
	// memory only.
	LuatContextFile string

	// LuatTLS protects Luat sessions with TLS. The Luat manual names FTPS
	// but documents no command to enable it, so it is a host-side setting.
	LuatTLS ftp.TLSMode

	// Logger, when set, receives the FTP control dialogue at debug level.
	Logger *slog.Logger
}

func (o *Options) guard() time.Duration {
	if o.EscapeGuard > 0 {
		return o.EscapeGuard
	}
	return time.Second
}

func (o *Options) second() time.Duration {
	if o.Second > 0 {
		return o.Second
	}
	return time.Second
}

func (o *Options) bearerIP() string {
	if o.BearerIP != "" {
		return o.BearerIP
	}
	return "10.0.0.2"
}

// Modem is a virtual cellular module: it reads AT command lines and data
// from a serial-like stream and answers as the module would, carrying out
// the FTP commands with package ftp. Settings, local files and bearer
// contexts live as long as the Modem; Serve may be called again after it
// returns, but not concurrently.
type Modem struct {
	dialect Dialect
	opts    Options

	mu      sync.Mutex
	serving bool

	out      *output
	in       *input
	echo     bool
	cmee     int
	lastLine string
	skipLF   bool // a CR ended the last line: a following LF belongs to it

	handlers map[string]handler
	q        *quectel
	l        *luat
}

// New returns a Modem that speaks dialect.
func New(dialect Dialect, opts Options) *Modem {
	m := &Modem{dialect: dialect, opts: opts, echo: !opts.NoEcho, cmee: 1}
	m.handlers = map[string]handler{
		"":      func(context.Context, *call) error { return nil },
		"E":     m.cmdEcho,
		"I":     m.cmdIdentify,
		"O":     m.cmdOnline,
		"Z":     func(context.Context, *call) error { return nil },
		"&F":    func(context.Context, *call) error { return nil },
		"+CMEE": m.cmdCMEE,
	}
	switch dialect {
	case Luat:
		m.l = newLuat(m)
		m.l.register(m.handlers)
	default:
		m.q = newQuectel(m)
		m.q.register(m.handlers)
	}
	return m
}

// Serve answers the AT dialogue on r and w until r ends (nil is returned)
// or ctx is done (ctx's error is returned). Writes to w are serialized, so
// w need not be safe for concurrent use. Open FTP sessions are closed when
// Serve returns. The goroutine that reads r may stay blocked in r.Read
// until r is closed.
func (m *Modem) Serve(ctx context.Context, r io.Reader, w io.Writer) error {
	m.mu.Lock()
	if m.serving {
		m.mu.Unlock()
		return errors.New("atbridge: Serve is already running on this Modem")
	}
	m.serving = true
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		m.serving = false
		m.mu.Unlock()
	}()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m.out = &output{w: w}
	m.in = startInput(ctx, r)
	m.skipLF = false
	defer m.shutdown()
	for {
		line, err := m.readLine(ctx)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		m.execLine(ctx, line)
		if err := m.out.failed(); err != nil {
			return err
		}
	}
}

// shutdown closes the FTP sessions when Serve ends.
func (m *Modem) shutdown() {
	if m.q != nil {
		m.q.shutdown()
	}
	if m.l != nil {
		m.l.shutdown()
	}
}

// ---------------------------------------------------------------------------
// Output.

// output serializes everything written to the port: command responses from
// the command loop and URCs from transfer goroutines.
type output struct {
	mu  sync.Mutex
	w   io.Writer
	err error
}

func (o *output) write(b []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err != nil {
		return
	}
	if _, err := o.w.Write(b); err != nil {
		o.err = err
	}
}

func (o *output) failed() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err
}

// line writes one response line in V.250 verbose framing: <CR><LF>text<CR><LF>.
func (m *Modem) line(s string) { m.out.write([]byte("\r\n" + s + "\r\n")) }

// urc writes an unsolicited result code.
func (m *Modem) urc(s string) { m.line(s) }

// lines writes information text: the lines separated by <CR><LF>, the whole
// framed by <CR><LF>, as the modules print a multi-line answer.
func (m *Modem) lines(ls []string) {
	if len(ls) == 0 {
		return
	}
	m.out.write([]byte("\r\n" + strings.Join(ls, "\r\n") + "\r\n"))
}

func (m *Modem) raw(b []byte) { m.out.write(b) }

// ---------------------------------------------------------------------------
// Results.

// errSyntax makes the final result code ERROR.
var errSyntax = errors.New("ERROR")

// errHandled means the handler wrote its own final output (CONNECT flows).
var errHandled = errors.New("handled")

// cmeError makes the final result code "+CME ERROR: <err>".
type cmeError int

func (e cmeError) Error() string { return "+CME ERROR: " + strconv.Itoa(int(e)) }

// writeError writes the final result code for err, following AT+CMEE.
func (m *Modem) writeError(err error) {
	var ce cmeError
	switch {
	case errors.Is(err, errHandled):
	case errors.As(err, &ce):
		switch m.cmee {
		case 0:
			m.line("ERROR")
		case 2:
			if text := quectelErrText[int(ce)]; text != "" && m.dialect == Quectel {
				m.line("+CME ERROR: " + text)
				return
			}
			fallthrough
		default:
			m.line(ce.Error())
		}
	default:
		m.line("ERROR")
	}
}

// ---------------------------------------------------------------------------
// Input.

// chunk is what one Read of the port returned, with its arrival time, which
// the "+++" guard times are measured against.
type chunk struct {
	b []byte
	t time.Time
}

// input reads the port in a goroutine so that data mode can wait for input,
// transfer data and timers at once.
type input struct {
	ch      chan chunk
	done    chan struct{} // closed when the reader stopped; err is then set
	err     error
	pending []byte
	pendT   time.Time
}

func startInput(ctx context.Context, r io.Reader) *input {
	in := &input{ch: make(chan chunk), done: make(chan struct{})}
	go func() {
		defer close(in.done)
		for {
			buf := make([]byte, 4096)
			n, err := r.Read(buf)
			if n > 0 {
				select {
				case in.ch <- chunk{buf[:n], time.Now()}:
				case <-ctx.Done():
					in.err = ctx.Err()
					return
				}
			}
			if err != nil {
				in.err = err
				return
			}
		}
	}()
	return in
}

var errInputTimeout = errors.New("atbridge: no input in time")

// next returns the pending bytes or waits for the next chunk, at most
// timeout when timeout > 0.
func (in *input) next(ctx context.Context, timeout time.Duration) (chunk, error) {
	if len(in.pending) > 0 {
		c := chunk{in.pending, in.pendT}
		in.pending = nil
		return c, nil
	}
	var tc <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		tc = t.C
	}
	select {
	case c := <-in.ch:
		return c, nil
	case <-in.done:
		// Chunks sent before the reader stopped were all received: the
		// channel is unbuffered.
		if in.err == nil {
			return chunk{}, io.EOF
		}
		return chunk{}, in.err
	case <-tc:
		return chunk{}, errInputTimeout
	case <-ctx.Done():
		return chunk{}, ctx.Err()
	}
}

// unread puts bytes back in front of the input.
func (in *input) unread(b []byte, t time.Time) {
	if len(b) == 0 {
		return
	}
	if len(in.pending) > 0 {
		b = append(append([]byte(nil), b...), in.pending...)
	}
	in.pending = b
	in.pendT = t
}

// maxLineLen bounds a command line; longer lines are answered with ERROR.
const maxLineLen = 4096

// lineOverflow stands for a line that was longer than maxLineLen.
const lineOverflow = "\x00overflow"

// readLine reads one command line, echoing it when echo is on. A line ends
// at CR or LF; an LF right after the CR is part of the line end. Backspace
// and DEL delete the previous character.
func (m *Modem) readLine(ctx context.Context) (string, error) {
	var line []byte
	overflow := false
	for {
		c, err := m.in.next(ctx, 0)
		if err != nil {
			return "", err
		}
		b := c.b
		start := 0
		if m.skipLF {
			m.skipLF = false
			if b[0] == '\n' {
				start = 1
			}
		}
		for i := start; i < len(b); i++ {
			ch := b[i]
			switch ch {
			case '\r', '\n':
				end := i + 1
				if ch == '\r' {
					if end < len(b) {
						if b[end] == '\n' {
							end++
						}
					} else {
						m.skipLF = true
					}
				}
				if m.echo {
					m.raw(b[:end])
				}
				m.in.unread(b[end:], c.t)
				if overflow {
					return lineOverflow, nil
				}
				return string(line), nil
			case '\b', 0x7f:
				if len(line) > 0 {
					line = line[:len(line)-1]
				}
			default:
				if len(line) < maxLineLen {
					line = append(line, ch)
				} else {
					overflow = true
				}
			}
		}
		if m.echo {
			m.raw(b)
		}
	}
}

// ---------------------------------------------------------------------------
// Parsing.

// form is the form of an AT command: test (=?), query (?), set (=...) or
// execute (bare).
type form int

const (
	formExec form = iota
	formTest
	formQuery
	formSet
)

func (f form) String() string {
	return [...]string{"execute", "test", "query", "set"}[f]
}

// arg is one parameter of a set command.
type arg struct {
	s       string // the value, without quotes
	quoted  bool   // it was given as a "string"
	present bool   // false for an omitted parameter (",,")
}

// command is one command of a command line.
type command struct {
	name   string // upper case: "+QFTPCFG", "E", "&F"; "" for a bare AT
	form   form
	args   []arg
	digits string // the digits after a basic command (E0)
}

// parseATLine parses a command line (without its line end) into its
// commands: basic ones (E0, I, &F) and extended ones (+NAME with a form)
// separated by ';'. The prefix AT is required, in any case.
func parseATLine(line string) ([]command, error) {
	s := strings.TrimSpace(line)
	if len(s) < 2 || !strings.EqualFold(s[:2], "AT") {
		return nil, errors.New("no AT prefix")
	}
	body := s[2:]
	var cmds []command
	i := 0
	for i < len(body) {
		c := body[i]
		switch {
		case c == ' ' || c == ';':
			i++
		case c == '+' || c == '$' || c == '#' || c == '^' || c == '%':
			j := i + 1
			for j < len(body) && isNameChar(body[j]) {
				j++
			}
			if j == i+1 {
				return nil, fmt.Errorf("empty command name at %d", i)
			}
			cmd := command{name: strings.ToUpper(body[i:j])}
			switch {
			case strings.HasPrefix(body[j:], "=?"):
				cmd.form = formTest
				j += 2
			case strings.HasPrefix(body[j:], "?"):
				cmd.form = formQuery
				j++
			case strings.HasPrefix(body[j:], "="):
				cmd.form = formSet
				args, n, err := parseArgs(body[j+1:])
				if err != nil {
					return nil, err
				}
				cmd.args = args
				j += 1 + n
			}
			for j < len(body) && body[j] == ' ' {
				j++
			}
			if j < len(body) && body[j] != ';' {
				return nil, fmt.Errorf("unexpected %q after %s", body[j], cmd.name)
			}
			cmds = append(cmds, cmd)
			i = j
		case isLetter(c) || c == '&':
			j := i + 1
			name := strings.ToUpper(string(c))
			if c == '&' {
				if j >= len(body) || !isLetter(body[j]) {
					return nil, fmt.Errorf("bad & command at %d", i)
				}
				name += strings.ToUpper(string(body[j]))
				j++
			}
			k := j
			for k < len(body) && body[k] >= '0' && body[k] <= '9' {
				k++
			}
			cmd := command{name: name, digits: body[j:k]}
			if k < len(body) && body[k] == '?' {
				cmd.form = formQuery
				k++
			}
			cmds = append(cmds, cmd)
			i = k
		default:
			return nil, fmt.Errorf("unexpected %q at %d", c, i)
		}
	}
	if len(cmds) == 0 {
		cmds = append(cmds, command{})
	}
	return cmds, nil
}

// parseArgs parses the parameters of a set command up to the ';' that ends
// the command or the end of the line, and returns how many bytes it used.
func parseArgs(s string) ([]arg, int, error) {
	var args []arg
	i := 0
	for {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		var a arg
		if i < len(s) && s[i] == '"' {
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				return nil, 0, errors.New("unterminated string")
			}
			a = arg{s: s[i+1 : i+1+end], quoted: true, present: true}
			i += end + 2
			for i < len(s) && s[i] == ' ' {
				i++
			}
		} else {
			j := i
			for j < len(s) && s[j] != ',' && s[j] != ';' {
				if s[j] == '"' {
					return nil, 0, errors.New("quote inside a bare parameter")
				}
				j++
			}
			v := strings.TrimSpace(s[i:j])
			a = arg{s: v, present: v != ""}
			i = j
		}
		args = append(args, a)
		if i >= len(s) || s[i] == ';' {
			return args, i, nil
		}
		if s[i] != ',' {
			return nil, 0, fmt.Errorf("unexpected %q in parameters", s[i])
		}
		i++
	}
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isNameChar(c byte) bool {
	return isLetter(c) || c >= '0' && c <= '9' || c == '_'
}

// ---------------------------------------------------------------------------
// Dispatch.

// handler carries out one command. It returns nil for OK (after c.info),
// errSyntax, a cmeError, or errHandled when it wrote its own output.
type handler func(ctx context.Context, c *call) error

// call is a command being carried out.
type call struct {
	command
	info  []string // information lines, written before the final OK
	after []func() // run after the final result code: URCs of the operation
}

// only admits one form of a command besides the test form. It reports
// done when the handler is to return err at once: for the test form, which
// answers with the usage lines and OK, and for any form but f (errSyntax).
func (c *call) only(f form, usage ...string) (done bool, err error) {
	switch c.form {
	case formTest:
		c.info = append(c.info, usage...)
		return true, nil
	case f:
		return false, nil
	}
	return true, errSyntax
}

// argument helpers

func (c *call) has(i int) bool { return i < len(c.args) && c.args[i].present }

// str returns parameter i as a string of at most max bytes.
func (c *call) str(i, max int) (string, error) {
	if !c.has(i) {
		return "", errSyntax
	}
	if len(c.args[i].s) > max {
		return "", errSyntax
	}
	return c.args[i].s, nil
}

// num returns parameter i as a decimal integer in [min, max].
func (c *call) num(i, min, max int) (int, error) {
	if !c.has(i) || c.args[i].quoted {
		return 0, errSyntax
	}
	return parseNum(c.args[i].s, min, max)
}

// numOr returns parameter i, or def when it is omitted.
func (c *call) numOr(i, min, max, def int) (int, error) {
	if !c.has(i) {
		return def, nil
	}
	return c.num(i, min, max)
}

func parseNum(s string, min, max int) (int, error) {
	if s == "" || len(s) > 10 {
		return 0, errSyntax
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errSyntax
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > max {
		return 0, errSyntax
	}
	return n, nil
}

// quote returns s in double quotes, as modules print string parameters.
func quote(s string) string { return `"` + s + `"` }

// execLine carries out one command line.
func (m *Modem) execLine(ctx context.Context, line string) {
	if line == lineOverflow {
		m.line("ERROR")
		return
	}
	trimmed := strings.TrimSpace(line)
	if trimmed == "" {
		return
	}
	if strings.EqualFold(trimmed, "A/") {
		// Nothing to repeat yet: the previous command line is the empty
		// one, a bare AT, answered OK (an answer, as every line gets).
		trimmed = cmp.Or(m.lastLine, "AT")
	} else {
		m.lastLine = trimmed
	}
	cmds, err := parseATLine(trimmed)
	if err != nil {
		m.line("ERROR")
		return
	}
	var info []string
	var after []func()
	for _, cmd := range cmds {
		h := m.handlers[cmd.name]
		if h == nil {
			m.writeError(errSyntax)
			return
		}
		c := &call{command: cmd}
		err := h(ctx, c)
		info = append(info, c.info...)
		after = append(after, c.after...)
		if err != nil {
			m.lines(info)
			m.writeError(err)
			if errors.Is(err, errHandled) {
				for _, f := range after {
					f()
				}
			}
			return
		}
	}
	m.lines(info)
	m.line("OK")
	for _, f := range after {
		f()
	}
}

// ---------------------------------------------------------------------------
// Commands common to both dialects.

func (m *Modem) cmdEcho(_ context.Context, c *call) error {
	switch c.digits {
	case "", "0":
		m.echo = false
	case "1":
		m.echo = true
	default:
		return errSyntax
	}
	if c.form == formQuery {
		return errSyntax
	}
	return nil
}

func (m *Modem) cmdIdentify(_ context.Context, c *call) error {
	if c.digits != "" && c.digits != "0" {
		return errSyntax
	}
	if m.dialect == Luat {
		c.info = append(c.info, "AirM2M", "Air724UG", "Revision: atbridge")
	} else {
		c.info = append(c.info, "Quectel", "EC200T", "Revision: atbridge")
	}
	return nil
}

func (m *Modem) cmdCMEE(_ context.Context, c *call) error {
	switch c.form {
	case formTest:
		c.info = append(c.info, "+CMEE: (0-2)")
	case formQuery:
		c.info = append(c.info, "+CMEE: "+strconv.Itoa(m.cmee))
	case formSet:
		n, err := c.numOr(0, 0, 2, 0)
		if err != nil {
			return err
		}
		m.cmee = n
	default:
		m.cmee = 0
	}
	return nil
}

// cmdOnline is ATO: back to data mode for a download that "+++" paused.
func (m *Modem) cmdOnline(ctx context.Context, c *call) error {
	if c.digits != "" && c.digits != "0" {
		return errSyntax
	}
	if m.q != nil {
		return m.q.resume(ctx)
	}
	return errSyntax
}
