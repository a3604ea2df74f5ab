// The Luat dialect: the AT+FTP* commands of the Luat (Air series) manual,
// section FTP/FTPS, and the AT+SAPBR bearer that AT+FTPCID names.
//
// Every operation is a session of its own, as on the module: it logs in
// with the AT+FTP* parameters, does its work and quits. AT+FTPGET=1,
// AT+FTPPUT=1 and AT+FTPLIST=1 open a session that the mode 2 commands
// read from or write to in chunks of at most 1460 bytes, and that ends with
// the URC "+FTPxxx: 1,0" (or "1,<error>").

package atbridge

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/seed362563c3/ftp"
)

// Limits of the Luat manual.
const (
	luatMaxServer  = 49  // AT+FTPSERV host name
	luatMaxAccount = 49  // AT+FTPUN, AT+FTPPW
	luatMaxGetName = 99  // AT+FTPGETNAME
	luatMaxGetPath = 255 // AT+FTPGETPATH
	luatMaxPutName = 99  // AT+FTPPUTNAME
	luatMaxPutPath = 99  // AT+FTPPUTPATH
	luatMaxChunk   = 1460
)

// luatSettings is the FTP context: what AT+FTPSCONT saves and loads.
type luatSettings struct {
	Serv    string `json:"serv"`
	Port    int    `json:"port"`
	User    string `json:"user"`
	Pass    string `json:"pass"`
	CID     int    `json:"cid"`
	Mode    int    `json:"mode"` // 0 active, 1 passive
	Type    string `json:"type"` // "A" or "I"
	PutOpt  string `json:"putopt"`
	Rest    int64  `json:"rest"`
	GetName string `json:"getname"`
	GetPath string `json:"getpath"`
	PutName string `json:"putname"`
	PutPath string `json:"putpath"`
	Timeout int    `json:"timeout"` // seconds
}

// defaultLuat is the context at power-on. The manual gives AT+FTPCID the
// range 1-3 and yet "default 0"; 0 is not a bearer, so the default is the
// first one, 1. It documents no default for AT+FTPMODE: passive, which works
// through NAT, is the default.
func defaultLuat() luatSettings {
	return luatSettings{Port: 21, CID: 1, Mode: 1, Type: "I", PutOpt: "STOR", Timeout: 60}
}

type bearer struct {
	params map[string]string
	open   bool
}

var bearerTags = []string{"CONTYPE", "APN", "PHONENUM", "USER", "PWD", "RATE"}

// luatSession is an open AT+FTPGET, AT+FTPLIST or AT+FTPPUT session.
type luatSession struct {
	name   string // "+FTPGET", "+FTPLIST", "+FTPPUT"
	conn   *ftp.Conn
	r      io.Closer // download
	p      *pump     // download or listing data
	w      uploader  // upload
	watch  *idleWatch
	cancel context.CancelFunc
	ended  bool
}

// uploader is an open upload: an *ftp.Writer.
type uploader interface {
	Write([]byte) (int, error)
	Close() error
	Abort() error
}

type luat struct {
	m       *Modem
	s       luatSettings
	saved   luatSettings
	bearers [4]bearer // 1..3

	mu   sync.Mutex // guards the sessions: pumps end them from their goroutines
	get  *luatSession
	list *luatSession
	put  *luatSession
}

func newLuat(m *Modem) *luat {
	l := &luat{m: m, s: defaultLuat()}
	l.saved = l.s
	for i := range l.bearers {
		l.bearers[i].params = map[string]string{"CONTYPE": "GPRS", "APN": "", "PHONENUM": "", "USER": "", "PWD": "", "RATE": "2"}
	}
	if f := m.opts.LuatContextFile; f != "" {
		if b, err := os.ReadFile(f); err == nil {
			s := defaultLuat()
			if json.Unmarshal(b, &s) == nil {
				l.s, l.saved = s, s
			}
		}
	}
	return l
}

func (l *luat) register(h map[string]handler) {
	h["+SAPBR"] = l.cmdSAPBR
	h["+FTPPORT"] = l.intParam("+FTPPORT", &l.s.Port, 1, 65535)
	h["+FTPMODE"] = l.intParam("+FTPMODE", &l.s.Mode, 0, 1)
	h["+FTPCID"] = l.intParam("+FTPCID", &l.s.CID, 1, 3)
	h["+FTPTIMEOUT"] = l.intParam("+FTPTIMEOUT", &l.s.Timeout, 20, 180)
	h["+FTPTYPE"] = l.choice("+FTPTYPE", &l.s.Type, "A", "I")
	h["+FTPPUTOPT"] = l.choice("+FTPPUTOPT", &l.s.PutOpt, "APPE", "STOU", "STOR")
	h["+FTPREST"] = l.cmdREST
	h["+FTPSERV"] = l.strParam("+FTPSERV", &l.s.Serv, luatMaxServer)
	h["+FTPUN"] = l.strParam("+FTPUN", &l.s.User, luatMaxAccount)
	h["+FTPPW"] = l.strParam("+FTPPW", &l.s.Pass, luatMaxAccount)
	h["+FTPGETNAME"] = l.strParam("+FTPGETNAME", &l.s.GetName, luatMaxGetName)
	h["+FTPGETPATH"] = l.strParam("+FTPGETPATH", &l.s.GetPath, luatMaxGetPath)
	h["+FTPPUTNAME"] = l.strParam("+FTPPUTNAME", &l.s.PutName, luatMaxPutName)
	h["+FTPPUTPATH"] = l.strParam("+FTPPUTPATH", &l.s.PutPath, luatMaxPutPath)
	h["+FTPMKD"] = l.oneShot("+FTPMKD", func(ctx context.Context, conn *ftp.Conn) (string, error) {
		_, err := conn.MakeDir(ctx, l.s.GetPath)
		return "", err
	})
	h["+FTPRMD"] = l.oneShot("+FTPRMD", func(ctx context.Context, conn *ftp.Conn) (string, error) {
		return "", conn.RemoveDir(ctx, l.s.GetPath)
	})
	h["+FTPSIZE"] = l.oneShot("+FTPSIZE", func(ctx context.Context, conn *ftp.Conn) (string, error) {
		n, err := conn.Size(ctx, l.getFile())
		return strconv.FormatInt(n, 10), err
	})
	h["+FTPGET"] = l.cmdGET
	h["+FTPLIST"] = l.cmdLIST
	h["+FTPPUT"] = l.cmdPUT
	h["+FTPSCONT"] = l.cmdSCONT
	h["+FTPQUIT"] = l.cmdQUIT
}

func (l *luat) second() time.Duration { return l.m.opts.second() }

func (l *luat) timeout() time.Duration { return time.Duration(l.s.Timeout) * l.second() }

func (l *luat) getFile() string { return path.Join(l.s.GetPath, l.s.GetName) }

func (l *luat) putFile() string { return path.Join(l.s.PutPath, l.s.PutName) }

func (l *luat) openPhase() phase {
	if l.s.Mode == 0 {
		return phaseOpenActive
	}
	return phaseOpenPasv
}

// ---------------------------------------------------------------------------
// Parameters: set, query ("+FTPxxx: <value>") and test (OK), as the manual's
// tables give them.

func (l *luat) param(show func() string, set func(c *call) error) handler {
	return func(_ context.Context, c *call) error {
		switch c.form {
		case formTest:
			return nil
		case formQuery:
			c.info = append(c.info, show())
			return nil
		case formSet:
			if len(c.args) != 1 {
				return errSyntax
			}
			return set(c)
		}
		return errSyntax
	}
}

func (l *luat) intParam(name string, v *int, lo, hi int) handler {
	return l.param(func() string { return name + ": " + strconv.Itoa(*v) }, func(c *call) error {
		n, err := c.num(0, lo, hi)
		if err != nil {
			return err
		}
		*v = n
		return nil
	})
}

func (l *luat) strParam(name string, v *string, max int) handler {
	return l.param(func() string { return name + ": " + quote(*v) }, func(c *call) error {
		s, err := c.str(0, max)
		if err != nil {
			return err
		}
		*v = s
		return nil
	})
}

// choice is a parameter with a few string values, quoted or not, in any case.
func (l *luat) choice(name string, v *string, values ...string) handler {
	return l.param(func() string { return name + ": " + quote(*v) }, func(c *call) error {
		s, err := c.str(0, 8)
		if err != nil {
			return err
		}
		for _, val := range values {
			if strings.EqualFold(s, val) {
				*v = val
				return nil
			}
		}
		return errSyntax
	})
}

// AT+FTPREST=<offset>: where the next download starts (REST).
func (l *luat) cmdREST(ctx context.Context, c *call) error {
	return l.param(func() string { return "+FTPREST: " + strconv.FormatInt(l.s.Rest, 10) }, func(c *call) error {
		if c.args[0].quoted || c.args[0].s == "" {
			return errSyntax
		}
		n, err := strconv.ParseInt(c.args[0].s, 10, 64)
		if err != nil || n < 0 {
			return errSyntax
		}
		l.s.Rest = n
		return nil
	})(ctx, c)
}

// ---------------------------------------------------------------------------
// AT+SAPBR=<cmd_type>,<cid>[,<ConParamTag>,<ConParamValue>]

func (l *luat) cmdSAPBR(_ context.Context, c *call) error {
	if done, err := c.only(formSet, `+SAPBR: (0-4),(1-3),"ConParamTag","ConParamValue"`); done {
		return err
	}
	typ, err := c.num(0, 0, 4)
	if err != nil {
		return errSyntax
	}
	cid, err := c.num(1, 1, 3)
	if err != nil {
		return errSyntax
	}
	b := &l.bearers[cid]
	if typ != 3 && len(c.args) > 2 {
		return errSyntax
	}
	switch typ {
	case 0:
		b.open = false
	case 1:
		b.open = true
	case 2:
		status, ip := 3, "0.0.0.0"
		if b.open {
			status, ip = 1, l.m.opts.bearerIP()
		}
		c.info = append(c.info, fmt.Sprintf("+SAPBR: %d,%d,%s", cid, status, quote(ip)))
	case 3:
		tag, err := c.str(2, 16)
		if err != nil {
			return errSyntax
		}
		val, err := c.str(3, 64)
		if err != nil && c.has(3) || len(c.args) != 4 {
			return errSyntax
		}
		tag = strings.ToUpper(tag)
		if _, ok := b.params[tag]; !ok {
			return errSyntax
		}
		b.params[tag] = val
	case 4:
		c.info = append(c.info, "+SAPBR:")
		for _, tag := range bearerTags {
			c.info = append(c.info, tag+": "+b.params[tag])
		}
	}
	return nil
}

// ---------------------------------------------------------------------------
// Sessions.

// dial logs in with the current context.
func (l *luat) dial(ctx context.Context) (*ftp.Conn, error) {
	if !l.bearers[l.s.CID].open {
		return nil, errNoBearer
	}
	if l.s.Serv == "" {
		return nil, fmt.Errorf("atbridge: no server set (AT+FTPSERV): %w", ftp.ErrInvalidArgument)
	}
	cfg := &ftp.Config{
		User:         l.s.User,
		Password:     l.s.Pass,
		DialContext:  l.m.opts.DialContext,
		DialTimeout:  l.timeout(),
		ReplyTimeout: l.timeout(),
		Logger:       l.m.opts.Logger,
		TLS:          l.m.opts.LuatTLS,
		TLSConfig:    l.m.opts.TLSConfig,
	}
	if l.s.Mode == 0 {
		cfg.Active = &ftp.ActiveConfig{}
	}
	conn, err := ftp.Dial(ctx, net.JoinHostPort(l.s.Serv, strconv.Itoa(l.s.Port)), cfg)
	if err != nil {
		return nil, err
	}
	if l.s.Type == "A" {
		conn.SetType(ftp.TypeASCII)
	}
	return conn, nil
}

// busy reports whether a transfer session is open: the module runs one
// FTP session at a time.
func (l *luat) busy() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.get != nil || l.list != nil || l.put != nil
}

// errCode is the Luat code of err.
func errCode(err error, ph phase) int { return classify(err, ph).luat }

// oneShot builds AT+FTPMKD, AT+FTPRMD and AT+FTPSIZE: OK, a session, then
// "+NAME: 1,0[,<result>]" or "+NAME: 1,<error>" (",0" for AT+FTPSIZE).
func (l *luat) oneShot(name string, op func(ctx context.Context, conn *ftp.Conn) (string, error)) handler {
	return func(ctx context.Context, c *call) error {
		if done, err := c.only(formExec); done {
			return err
		}
		c.after = append(c.after, func() {
			var res string
			var conn *ftp.Conn
			err := ftp.ErrBusy
			if !l.busy() {
				conn, err = l.dial(ctx)
				if err == nil {
					res, err = op(ctx, conn)
					conn.Close()
				}
			}
			switch {
			case err == nil && res != "":
				l.m.urc(fmt.Sprintf("%s: 1,0,%s", name, res))
			case err == nil:
				l.m.urc(name + ": 1,0")
			case name == "+FTPSIZE":
				l.m.urc(fmt.Sprintf("%s: 1,%d,0", name, errCode(err, phaseCommand)))
			default:
				l.m.urc(fmt.Sprintf("%s: 1,%d", name, errCode(err, phaseCommand)))
			}
		})
		return nil
	}
}

// modeArgs reads <mode>[,<reqlength>] of AT+FTPGET, AT+FTPLIST, AT+FTPPUT.
// Mode 2 needs a length of 1-1460 (0-1460 for AT+FTPPUT).
func modeArgs(c *call, minLen int) (mode, n int, err error) {
	if c.form != formSet || len(c.args) > 2 {
		return 0, 0, errSyntax
	}
	if mode, err = c.num(0, 1, 2); err != nil {
		return 0, 0, err
	}
	if mode == 1 {
		if len(c.args) != 1 {
			return 0, 0, errSyntax
		}
		return 1, 0, nil
	}
	n, err = c.num(1, minLen, luatMaxChunk)
	return mode, n, err
}

// transfer carries out AT+FTPGET, AT+FTPLIST and AT+FTPPUT, named name:
// <mode>[,<reqlength>], with a <reqlength> of at least minLen. Mode 2 is
// data, given the length. Mode 1 is start, after the final result code, on
// a connection of its own: start closes conn when it fails, and its error
// is reported as "NAME: 1,<error>", as are a busy session and a failed
// login.
func (l *luat) transfer(ctx context.Context, c *call, name string, minLen int, data func(n int) error, start func(conn *ftp.Conn) error) error {
	if c.form == formTest {
		return nil
	}
	mode, n, err := modeArgs(c, minLen)
	if err != nil {
		return err
	}
	if mode == 2 {
		return data(n)
	}
	c.after = append(c.after, func() {
		fail := func(err error, ph phase) { l.m.urc(fmt.Sprintf("%s: 1,%d", name, errCode(err, ph))) }
		if l.busy() {
			fail(ftp.ErrBusy, phaseCommand)
			return
		}
		conn, err := l.dial(ctx)
		if err != nil {
			fail(err, phaseCommand)
			return
		}
		if err := start(conn); err != nil {
			fail(err, l.openPhase())
		}
	})
	return nil
}

// AT+FTPGET=<mode>[,<reqlength>]
func (l *luat) cmdGET(ctx context.Context, c *call) error {
	read := func(n int) error {
		return l.read(ctx, c, "+FTPGET", func() *luatSession { return l.get }, n)
	}
	return l.transfer(ctx, c, "+FTPGET", 1, read, func(conn *ftp.Conn) error {
		tctx, cancel := context.WithCancel(ctx)
		r, err := conn.RetrieveFrom(tctx, l.getFile(), l.s.Rest)
		if err != nil {
			cancel()
			conn.Close()
			return err
		}
		s := &luatSession{name: "+FTPGET", conn: conn, r: r, cancel: cancel}
		s.watch = newIdleWatch(l.timeout(), cancel)
		l.open(ctx, s, func() *pump {
			return startPump(watchedReader{r, s.watch}, cancel, 64<<10, func() { l.maybeEnd(s) })
		})
		return nil
	})
}

// open starts the session's pump and announces it: "+NAME: 1,1" once the
// first data is there. A transfer that ends before any data (an empty
// file, an immediate failure) reports its end at once instead.
func (l *luat) open(ctx context.Context, s *luatSession, start func() *pump) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s.p = start()
	s.p.wait(ctx, 1, l.timeout())
	if s.name == "+FTPGET" {
		l.get = s
	} else {
		l.list = s
	}
	if done, _ := s.p.finished(); done {
		l.endLocked(s)
		return
	}
	l.m.urc(s.name + ": 1,1")
}

// AT+FTPLIST=<mode>[,<reqlength>]: the listing of AT+FTPGETPATH.
func (l *luat) cmdLIST(ctx context.Context, c *call) error {
	read := func(n int) error {
		return l.read(ctx, c, "+FTPLIST", func() *luatSession { return l.list }, n)
	}
	return l.transfer(ctx, c, "+FTPLIST", 1, read, func(conn *ftp.Conn) error {
		text, err := listingText(ctx, conn, "LIST", l.s.GetPath)
		conn.Close()
		if err != nil {
			return err
		}
		nop := func() {}
		s := &luatSession{name: "+FTPLIST", cancel: nop}
		l.open(ctx, s, func() *pump {
			return startPump(strings.NewReader(string(text)), nop, len(text)+1, nil)
		})
		return nil
	})
}

// read is mode 2 of AT+FTPGET and AT+FTPLIST: "+NAME: 2,<cnflength>", the
// data, OK; then "+NAME: 1,0" once everything was read. It waits until
// <reqlength> bytes are there or the transfer ended, at most a second.
func (l *luat) read(ctx context.Context, c *call, name string, current func() *luatSession, n int) error {
	l.mu.Lock()
	s := current()
	l.mu.Unlock()
	if s == nil {
		return errSyntax
	}
	s.p.wait(ctx, n, l.second())
	l.mu.Lock()
	defer l.mu.Unlock()
	if current() != s {
		return errSyntax // ended meanwhile by AT+FTPQUIT
	}
	b, _, _ := s.p.take(n)
	msg := fmt.Sprintf("\r\n%s: 2,%d\r\n", name, len(b))
	l.m.raw(append(append([]byte(msg), b...), "\r\nOK\r\n"...))
	l.endLocked(s)
	return errHandled
}

// maybeEnd ends a download session whose data was all read; the pump calls
// it when the transfer ends.
func (l *luat) maybeEnd(s *luatSession) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.endLocked(s)
}

// endLocked reports the end of s when its transfer ended and its data was
// all read. l.mu is held, so the URC cannot overtake the data.
func (l *luat) endLocked(s *luatSession) {
	if s.ended {
		return
	}
	done, err := s.p.finished()
	if !done {
		return
	}
	s.ended = true
	if l.get == s {
		l.get = nil
	}
	if l.list == s {
		l.list = nil
	}
	if err == nil && s.r != nil {
		// The final reply was read with the last data: no I/O here.
		err = s.r.Close()
	}
	if s.watch != nil {
		err = s.watch.explain(err)
	}
	if err != nil {
		l.m.urc(fmt.Sprintf("%s: 1,%d", s.name, errCode(err, phaseDownload)))
	} else {
		l.m.urc(s.name + ": 1,0")
	}
	// ABOR after a failure, and QUIT, without holding up the port.
	go func() {
		if s.r != nil {
			s.r.Close()
		}
		s.cancel()
		if s.conn != nil {
			s.conn.Close()
		}
	}()
}

// AT+FTPPUT=<mode>[,<reqlength>]
func (l *luat) cmdPUT(ctx context.Context, c *call) error {
	write := func(n int) error { return l.write(ctx, n) }
	return l.transfer(ctx, c, "+FTPPUT", 0, write, func(conn *ftp.Conn) error {
		var w uploader
		var err error
		switch l.s.PutOpt {
		case "APPE":
			w, err = conn.Append(ctx, l.putFile())
		case "STOU":
			w, err = storeUnique(ctx, conn, l.s.PutPath)
		default:
			w, err = conn.Store(ctx, l.putFile())
		}
		if err != nil {
			conn.Close()
			return err
		}
		l.mu.Lock()
		l.put = &luatSession{name: "+FTPPUT", conn: conn, w: w, cancel: func() {}}
		l.mu.Unlock()
		l.m.urc(fmt.Sprintf("+FTPPUT: 1,1,%d", luatMaxChunk))
		return nil
	})
}

// write is mode 2 of AT+FTPPUT: "+FTPPUT: 2,<cnflength>", the host's data,
// OK, and "+FTPPUT: 1,1,<maxlength>" when more may be sent. A length of 0
// ends the upload: OK, then "+FTPPUT: 1,0" once the server confirmed it.
func (l *luat) write(ctx context.Context, n int) error {
	l.mu.Lock()
	s := l.put
	l.mu.Unlock()
	if s == nil {
		return errSyntax
	}
	m := l.m
	if n == 0 {
		m.line("OK")
		l.endPut(s, s.w.Close())
		return errHandled
	}
	m.line(fmt.Sprintf("+FTPPUT: 2,%d", n))
	data := make([]byte, 0, n)
	err := m.receiveRaw(ctx, n, time.Now().Add(l.timeout()), func(b []byte) { data = append(data, b...) })
	if err != nil && err != errInputTimeout {
		s.w.Abort()
		l.endPut(s, err)
		return errHandled
	}
	if _, werr := s.w.Write(data); werr != nil {
		m.line("OK")
		s.w.Abort()
		l.endPut(s, werr)
		return errHandled
	}
	if len(data) < n {
		m.line("ERROR")
		return errHandled
	}
	m.line("OK")
	m.urc(fmt.Sprintf("+FTPPUT: 1,1,%d", luatMaxChunk))
	return errHandled
}

// endPut ends the upload session with the server's verdict.
func (l *luat) endPut(s *luatSession, err error) {
	l.mu.Lock()
	if l.put == s {
		l.put = nil
	}
	l.mu.Unlock()
	if err != nil {
		l.m.urc(fmt.Sprintf("+FTPPUT: 1,%d", errCode(err, phaseUpload)))
	} else {
		l.m.urc("+FTPPUT: 1,0")
	}
	s.conn.Close()
}

// storeUnique opens an STOU upload in dir.
func storeUnique(ctx context.Context, conn *ftp.Conn, dir string) (uploader, error) {
	if dir != "" {
		if err := conn.ChangeDir(ctx, dir); err != nil {
			return nil, err
		}
	}
	return conn.StoreUnique(ctx)
}

// AT+FTPQUIT: ends the open session; its transfer reports 86 (quit).
func (l *luat) cmdQUIT(_ context.Context, c *call) error {
	if done, err := c.only(formExec); done {
		return err
	}
	c.after = append(c.after, func() { l.quit(true) })
	return nil
}

// quit ends every session, reporting them when report is set.
func (l *luat) quit(report bool) {
	l.mu.Lock()
	sessions := []*luatSession{l.get, l.list, l.put}
	l.get, l.list, l.put = nil, nil, nil
	for _, s := range sessions {
		if s != nil {
			s.ended = true
		}
	}
	l.mu.Unlock()
	for _, s := range sessions {
		if s == nil {
			continue
		}
		if s.p != nil {
			s.p.stop()
		}
		if s.r != nil {
			s.r.Close()
		}
		if s.w != nil {
			s.w.Abort()
		}
		s.cancel()
		if s.conn != nil {
			s.conn.Close()
		}
		if report {
			l.m.urc(fmt.Sprintf("%s: 1,%d", s.name, errCode(context.Canceled, phaseCommand)))
		}
	}
}

func (l *luat) shutdown() { l.quit(false) }

// AT+FTPSCONT saves the context (to Options.LuatContextFile when set);
// AT+FTPSCONT? shows the saved context, which is loaded at start.
func (l *luat) cmdSCONT(_ context.Context, c *call) error {
	switch c.form {
	case formQuery:
		s := l.saved
		c.info = append(c.info,
			"+FTPSCONT:",
			"+FTPSERV: "+quote(s.Serv),
			"+FTPPORT: "+strconv.Itoa(s.Port),
			"+FTPUN: "+quote(s.User),
			"+FTPPW: "+quote(s.Pass),
			"+FTPCID: "+strconv.Itoa(s.CID),
			"+FTPMODE: "+strconv.Itoa(s.Mode),
			"+FTPTYPE: "+quote(s.Type),
			"+FTPPUTOPT: "+quote(s.PutOpt),
			"+FTPREST: "+strconv.FormatInt(s.Rest, 10),
			"+FTPGETNAME: "+quote(s.GetName),
			"+FTPGETPATH: "+quote(s.GetPath),
			"+FTPPUTNAME: "+quote(s.PutName),
			"+FTPPUTPATH: "+quote(s.PutPath),
			"+FTPTIMEOUT: "+strconv.Itoa(s.Timeout))
		return nil
	case formExec:
	default:
		return errSyntax
	}
	if f := l.m.opts.LuatContextFile; f != "" {
		b, err := json.MarshalIndent(l.s, "", "  ")
		if err != nil {
			return errSyntax
		}
		// The context holds the password: readable by the owner only.
		if err := os.WriteFile(f, append(b, '\n'), 0o600); err != nil {
			return errSyntax
		}
	}
	l.saved = l.s
	return nil
}
