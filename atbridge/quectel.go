// The Quectel dialect: AT+QFTPCFG and the AT+QFTP* commands of the
// EC200x/EC600x/EG912Y FTP(S) application note, the PDP context commands
// they depend on (AT+QICSGP, AT+QIACT, AT+QIDEACT) and AT+QSSLCFG for FTPS.

package atbridge

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/seed362563c3/ftp"
)

// Limits of the application note.
const (
	maxAccount  = 255 // <username>, <password>
	maxHostname = 255
	maxCWDPath  = 128 // <path_name> of AT+QFTPCWD
	maxFileName = 255 // <file_name>, <folder_name>, <dirname>, <old_name>, <new_name>
)

// AT+QFTPSTAT <ftpstat> values.
const (
	statOpening = 0
	statIdle    = 1
	statBusy    = 2
	statClosing = 3
	statClosed  = 4
)

// Immediate errors of the FTP commands.
const (
	errParam      cmeError = 610 // a parameter is missing, malformed or out of range
	errNotOpen    cmeError = 625 // no FTP(S) session: AT+QFTPOPEN first
	errSessionBsy cmeError = 603 // a session is open already, or a transfer holds it
)

type pdpContext struct {
	typ    int
	apn    string
	user   string
	pass   string
	auth   int
	active bool
}

type sslContext struct {
	sslversion  int
	ciphersuite int
	seclevel    int
	cacert      string
	clientcert  string
	clientkey   string
}

// quectel is the state of the Quectel dialect.
type quectel struct {
	m *Modem

	// AT+QFTPCFG
	user, pass  string
	fileType    int // 0 binary, 1 ASCII
	transMode   int // 0 active, 1 passive
	contextID   int
	rspTimeout  int // seconds
	sslType     int // 0 plain, 1 implicit, 2 explicit
	sslCtxID    int
	dataAddr    int // 0 server's address, 1 control peer, 2 control peer then server's
	dataTimeout int // seconds
	cache       int

	pdp [16]pdpContext // 1..15
	ssl [6]sslContext  // 0..5

	// The session.
	conn    *ftp.Conn
	host    string
	port    int
	stale   bool // a setting fixed at login changed: reconnect before the next command
	stat    int
	lastLen int64
	put     *chunkedPut // an upload left open with <beof> 0
	paused  *comGet     // a download to COM: that "+++" paused

	files      *fileStore
	handles    map[int]*fileHandle
	nextHandle int
}

// chunkedPut is an upload to COM: that goes on in the next AT+QFTPPUT.
type chunkedPut struct {
	w    *ftp.Writer
	file string
	next int64 // the <startpos> the next chunk must give
}

// comGet is a download or listing that flows to COM:.
type comGet struct {
	name   string // "+QFTPGET", "+QFTPLIST", ...
	p      *pump
	r      io.Closer // the transfer, nil for a listing
	watch  *idleWatch
	limit  int64
	sent   int64
	cancel context.CancelFunc
}

func newQuectel(m *Modem) *quectel {
	q := &quectel{
		m:           m,
		transMode:   1,
		contextID:   1,
		rspTimeout:  90,
		dataAddr:    1,
		dataTimeout: 25,
		stat:        statClosed,
		files:       newFileStore(),
		handles:     map[int]*fileHandle{},
	}
	for i := range q.pdp {
		q.pdp[i].typ = 1
	}
	for i := range q.ssl {
		q.ssl[i] = sslContext{sslversion: 4, ciphersuite: 0xffff, seclevel: 1}
	}
	return q
}

func (q *quectel) register(h map[string]handler) {
	h["+QICSGP"] = q.cmdQICSGP
	h["+QIACT"] = q.cmdQIACT
	h["+QIDEACT"] = q.cmdQIDEACT
	h["+QSSLCFG"] = q.cmdQSSLCFG
	h["+QFTPCFG"] = q.cmdCFG
	h["+QFTPOPEN"] = q.cmdOPEN
	h["+QFTPCWD"] = q.cmdCWD
	h["+QFTPPWD"] = q.cmdPWD
	h["+QFTPPUT"] = q.cmdPUT
	h["+QFTPGET"] = q.cmdGET
	h["+QFTPSIZE"] = q.simple("+QFTPSIZE", "<file_name>", q.opSize)
	h["+QFTPDEL"] = q.simple("+QFTPDEL", "<file_name>", q.opDelete)
	h["+QFTPMKDIR"] = q.simple("+QFTPMKDIR", "<folder_name>", q.opMkdir)
	h["+QFTPRMDIR"] = q.simple("+QFTPRMDIR", "<folder_name>", q.opRmdir)
	h["+QFTPMDTM"] = q.simple("+QFTPMDTM", "<file_name>", q.opMdtm)
	h["+QFTPRENAME"] = q.cmdRENAME
	h["+QFTPLIST"] = q.listing("+QFTPLIST", "LIST")
	h["+QFTPNLST"] = q.listing("+QFTPNLST", "NLST")
	h["+QFTPMLSD"] = q.listing("+QFTPMLSD", "MLSD")
	h["+QFTPLEN"] = q.cmdLEN
	h["+QFTPSTAT"] = q.cmdSTAT
	h["+QFTPCLOSE"] = q.cmdCLOSE
	h["+QFUPL"] = q.cmdQFUPL
	h["+QFLST"] = q.cmdQFLST
	h["+QFDEL"] = q.cmdQFDEL
	h["+QFOPEN"] = q.cmdQFOPEN
	h["+QFREAD"] = q.cmdQFREAD
	h["+QFCLOSE"] = q.cmdQFCLOSE
}

// report writes the URC "<name>: 0,0" or "<name>: <err>,<protocol_error>".
func (q *quectel) report(name string, err error, ph phase) {
	if err == nil {
		q.m.urc(name + ": 0,0")
		return
	}
	c := classify(err, ph)
	q.m.urc(fmt.Sprintf("%s: %d,%d", name, c.quectel, c.protocol))
}

func (q *quectel) second() time.Duration { return q.m.opts.second() }

func (q *quectel) rsp() time.Duration { return time.Duration(q.rspTimeout) * q.second() }

// openPhase is the phase of opening a data connection in the current mode.
func (q *quectel) openPhase() phase {
	if q.transMode == 0 {
		return phaseOpenActive
	}
	return phaseOpenPasv
}

// ---------------------------------------------------------------------------
// PDP contexts.

// AT+QICSGP=<contextID>[,<context_type>,<APN>[,<username>,<password>[,<authentication>]]]
func (q *quectel) cmdQICSGP(_ context.Context, c *call) error {
	if done, err := c.only(formSet, `+QICSGP: (1-15),(1-3),<APN>,<username>,<password>,(0-3)`); done {
		return err
	}
	id, err := c.num(0, 1, 15)
	if err != nil {
		return errSyntax
	}
	p := &q.pdp[id]
	if len(c.args) == 1 {
		c.info = append(c.info, fmt.Sprintf("+QICSGP: %d,%s,%s,%s,%d", p.typ, quote(p.apn), quote(p.user), quote(p.pass), p.auth))
		return nil
	}
	n := *p
	if n.typ, err = c.num(1, 1, 3); err != nil {
		return errSyntax
	}
	if n.apn, err = c.str(2, 62); err != nil {
		return errSyntax
	}
	if len(c.args) > 3 {
		if n.user, err = c.str(3, 127); err != nil {
			return errSyntax
		}
		if n.pass, err = c.str(4, 127); err != nil {
			return errSyntax
		}
		if n.auth, err = c.numOr(5, 0, 3, 0); err != nil {
			return errSyntax
		}
	}
	if len(c.args) > 6 {
		return errSyntax
	}
	*p = n
	return nil
}

// AT+QIACT=<contextID>; AT+QIACT? lists the active contexts.
func (q *quectel) cmdQIACT(_ context.Context, c *call) error {
	switch c.form {
	case formTest:
		c.info = append(c.info, "+QIACT: (1-15)")
	case formQuery:
		for id := 1; id < len(q.pdp); id++ {
			if p := q.pdp[id]; p.active {
				c.info = append(c.info, fmt.Sprintf("+QIACT: %d,1,%d,%s", id, p.typ, quote(q.m.opts.bearerIP())))
			}
		}
	case formSet:
		id, err := c.num(0, 1, 15)
		if err != nil || len(c.args) > 1 {
			return errSyntax
		}
		q.pdp[id].active = true
	default:
		return errSyntax
	}
	return nil
}

// AT+QIDEACT=<contextID>. An FTP session over the context ends with it.
func (q *quectel) cmdQIDEACT(_ context.Context, c *call) error {
	if done, err := c.only(formSet, "+QIDEACT: (1-15)"); done {
		return err
	}
	id, err := c.num(0, 1, 15)
	if err != nil || len(c.args) > 1 {
		return errSyntax
	}
	q.pdp[id].active = false
	if q.conn != nil && q.contextID == id {
		q.closeSession(false)
	}
	return nil
}

// ---------------------------------------------------------------------------
// AT+QSSLCFG: the SSL contexts that AT+QFTPCFG="SSL_ctxID" selects.

func (q *quectel) cmdQSSLCFG(_ context.Context, c *call) error {
	if done, err := c.only(formSet,
		`+QSSLCFG: "sslversion",(0-5),(0-4)`,
		`+QSSLCFG: "ciphersuite",(0-5),(0X0035,0X002F,0X0005,0X0004,0X000A,0X003D,0XC02F,0XC030,0XC02B,0XC02C,0XFFFF)`,
		`+QSSLCFG: "seclevel",(0-5),(0-2)`,
		`+QSSLCFG: "cacert",(0-5),<cacertpath>`,
		`+QSSLCFG: "clientcert",(0-5),<client_cert_path>`,
		`+QSSLCFG: "clientkey",(0-5),<client_key_path>`); done {
		return err
	}
	name, err := c.str(0, 32)
	if err != nil {
		return errSyntax
	}
	id, err := c.num(1, 0, 5)
	if err != nil {
		return errSyntax
	}
	s := &q.ssl[id]
	query := len(c.args) == 2
	if len(c.args) > 3 {
		return errSyntax
	}
	name = strings.ToLower(name)
	show := func(v string) { c.info = append(c.info, fmt.Sprintf("+QSSLCFG: %s,%d,%s", quote(name), id, v)) }
	// number shows or sets a numeric setting of range 0-max.
	number := func(field *int, max int) error {
		if query {
			show(strconv.Itoa(*field))
			return nil
		}
		v, err := c.num(2, 0, max)
		if err != nil {
			return errSyntax
		}
		*field = v
		return nil
	}
	switch name {
	case "sslversion":
		return number(&s.sslversion, 4)
	case "seclevel":
		return number(&s.seclevel, 2)
	case "ciphersuite":
		if query {
			show(fmt.Sprintf("0X%04X", s.ciphersuite))
			return nil
		}
		if !c.has(2) {
			return errSyntax
		}
		v, err := strconv.ParseUint(strings.ToLower(c.args[2].s), 0, 16)
		if err != nil {
			return errSyntax
		}
		s.ciphersuite = int(v)
	case "cacert", "clientcert", "clientkey":
		field := map[string]*string{"cacert": &s.cacert, "clientcert": &s.clientcert, "clientkey": &s.clientkey}[name]
		if query {
			show(quote(*field))
			return nil
		}
		v, err := c.str(2, maxLocalName)
		if err != nil {
			return errSyntax
		}
		*field = v
	default:
		return errSyntax
	}
	return nil
}

// tlsConfig builds the TLS settings of a session from Options.TLSConfig and
// the SSL context. sslversion 0-2 (SSL 3.0 to TLS 1.1) cannot be honoured:
// the client negotiates TLS 1.2 at least, so they mean "the client's
// floor"; 3 caps the version at TLS 1.2; 4 allows every version.
func (q *quectel) tlsConfig() (*tls.Config, error) {
	var tc *tls.Config
	if q.m.opts.TLSConfig != nil {
		tc = q.m.opts.TLSConfig.Clone()
	} else {
		tc = &tls.Config{}
	}
	s := q.ssl[q.sslCtxID]
	if s.seclevel == 0 {
		tc.InsecureSkipVerify = true
	} else if s.cacert != "" {
		pem, err := q.localFile(s.cacert)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: %s holds no PEM certificate", errLocalFile, s.cacert)
		}
		tc.RootCAs = pool
	}
	if s.seclevel == 2 && s.clientcert != "" {
		cert, err := q.localFile(s.clientcert)
		if err != nil {
			return nil, err
		}
		key, err := q.localFile(s.clientkey)
		if err != nil {
			return nil, err
		}
		pair, err := tls.X509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errLocalFile, err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	if s.sslversion == 3 {
		tc.MaxVersion = tls.VersionTLS12
	}
	if s.ciphersuite != 0xffff {
		tc.CipherSuites = []uint16{uint16(s.ciphersuite)}
	}
	return tc, nil
}

// localFile reads a local file named like "UFS:cacert.pem".
func (q *quectel) localFile(raw string) ([]byte, error) {
	name, ok := canonLocal(raw)
	if !ok {
		return nil, fmt.Errorf("%w: bad name %q", errLocalFile, raw)
	}
	b, ok := q.files.get(name)
	if !ok {
		return nil, fmt.Errorf("%w: %s", errLocalNotFound, name)
	}
	return b, nil
}

// ---------------------------------------------------------------------------
// AT+QFTPCFG

var cfgTest = []string{
	`+QFTPCFG: "account",<username>,<password>`,
	`+QFTPCFG: "filetype",(0,1)`,
	`+QFTPCFG: "transmode",(0,1)`,
	`+QFTPCFG: "contextid",(1-15)`,
	`+QFTPCFG: "rsptimeout",(20-180)`,
	`+QFTPCFG: "ssltype",(0-2)`,
	`+QFTPCFG: "SSL_ctxID",(0-5)`,
	`+QFTPCFG: "data_address",(0-2),(15-50)`,
	`+QFTPCFG: "cache",(0-2)`,
}

func (q *quectel) cmdCFG(_ context.Context, c *call) error {
	if done, err := c.only(formSet, cfgTest...); done {
		return err
	}
	name, err := c.str(0, 32)
	if err != nil {
		return errSyntax
	}
	query := len(c.args) == 1
	// intParam handles the parameters that are one integer.
	intParam := func(label string, v *int, lo, hi int, fixedAtLogin bool) error {
		if query {
			c.info = append(c.info, fmt.Sprintf("+QFTPCFG: %s,%d", quote(label), *v))
			return nil
		}
		n, err := c.num(1, lo, hi)
		if err != nil || len(c.args) > 2 {
			return errSyntax
		}
		if fixedAtLogin && n != *v && q.conn != nil {
			q.stale = true
		}
		*v = n
		return nil
	}
	switch strings.ToLower(name) {
	case "account":
		if query {
			c.info = append(c.info, fmt.Sprintf(`+QFTPCFG: "account",%s,%s`, quote(q.user), quote(q.pass)))
			return nil
		}
		user, err := c.str(1, maxAccount)
		if err != nil {
			return errSyntax
		}
		pass, err := c.str(2, maxAccount)
		if err != nil || len(c.args) > 3 {
			return errSyntax
		}
		q.user, q.pass = user, pass
	case "filetype":
		if err := intParam("filetype", &q.fileType, 0, 1, false); err != nil {
			return err
		}
		if q.conn != nil {
			q.conn.SetType(q.transferType())
		}
	case "transmode":
		return intParam("transmode", &q.transMode, 0, 1, true)
	case "contextid":
		if query {
			return intParam("contextid", &q.contextID, 1, 15, false)
		}
		id, err := c.num(1, 1, 15)
		if err != nil || len(c.args) > 2 {
			return errSyntax
		}
		if !q.pdp[id].active {
			// The note: the PDP context must be activated before it is
			// configured for FTP(S).
			return cmeError(classify(errNoBearer, phaseCommand).quectel)
		}
		q.contextID = id
	case "rsptimeout":
		return intParam("rsptimeout", &q.rspTimeout, 20, 180, true)
	case "ssltype":
		return intParam("ssltype", &q.sslType, 0, 2, false)
	case "ssl_ctxid":
		return intParam("SSL_ctxID", &q.sslCtxID, 0, 5, false)
	case "data_address":
		if query {
			if q.dataAddr == 2 {
				c.info = append(c.info, fmt.Sprintf(`+QFTPCFG: "data_address",2,%d`, q.dataTimeout))
			} else {
				c.info = append(c.info, fmt.Sprintf(`+QFTPCFG: "data_address",%d`, q.dataAddr))
			}
			return nil
		}
		t, err := c.num(1, 0, 2)
		if err != nil || len(c.args) > 3 {
			return errSyntax
		}
		timeout, err := c.numOr(2, 15, 50, q.dataTimeout)
		if err != nil {
			return errSyntax
		}
		if q.conn != nil && (t != q.dataAddr || timeout != q.dataTimeout) {
			q.stale = true
		}
		q.dataAddr, q.dataTimeout = t, timeout
	case "cache":
		// The watermark size of the module's buffer: accepted and
		// reported; the bridge streams without it.
		return intParam("cache", &q.cache, 0, 2, false)
	default:
		return errSyntax
	}
	return nil
}

func (q *quectel) transferType() ftp.TransferType {
	if q.fileType == 1 {
		return ftp.TypeASCII
	}
	return ftp.TypeBinary
}

// dialer returns the dial function of a session. With data_address 2 the
// data connections are bounded by <data_timeout>, so that a control peer
// that does not answer gives way to the server's address in time. (The
// bound applies to each data connection attempt: the client does not say
// which of its two attempts it is making.)
func (q *quectel) dialer() func(ctx context.Context, network, addr string) (net.Conn, error) {
	base := q.m.opts.DialContext
	if base == nil {
		var d net.Dialer
		base = d.DialContext
	}
	if q.dataAddr != 2 {
		return base
	}
	limit := time.Duration(q.dataTimeout) * q.second()
	var dials atomic.Int64
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) == 1 {
			return base(ctx, network, addr) // the control connection
		}
		ctx, cancel := context.WithTimeout(ctx, limit)
		defer cancel()
		return base(ctx, network, addr)
	}
}

// config returns the client configuration for the current settings.
func (q *quectel) config() (*ftp.Config, error) {
	cfg := &ftp.Config{
		User:         q.user,
		Password:     q.pass,
		DialContext:  q.dialer(),
		DialTimeout:  q.rsp(),
		ReplyTimeout: q.rsp(),
		Logger:       q.m.opts.Logger,
	}
	switch q.dataAddr {
	case 0:
		cfg.PassiveAddress = ftp.PassiveServerAddress
	case 2:
		cfg.PassiveAddress = ftp.PassiveControlPeerThenServer
	default:
		cfg.PassiveAddress = ftp.PassiveControlPeer
	}
	if q.transMode == 0 {
		cfg.Active = &ftp.ActiveConfig{}
	}
	if q.sslType != 0 {
		cfg.TLS = ftp.TLSImplicit
		if q.sslType == 2 {
			cfg.TLS = ftp.TLSExplicit
		}
		tc, err := q.tlsConfig()
		if err != nil {
			return nil, err
		}
		cfg.TLSConfig = tc
	}
	return cfg, nil
}

// dial opens and logs in a session with the current settings.
func (q *quectel) dial(ctx context.Context) (*ftp.Conn, error) {
	if !q.pdp[q.contextID].active {
		// Without the bearer a host name cannot be resolved (the note's
		// troubleshooting for +QFTPOPEN: 604,0) and no address is reachable.
		if net.ParseIP(q.host) == nil {
			return nil, &net.DNSError{Err: "PDP context not active", Name: q.host}
		}
		return nil, errNoBearer
	}
	cfg, err := q.config()
	if err != nil {
		return nil, err
	}
	conn, err := ftp.Dial(ctx, net.JoinHostPort(q.host, strconv.Itoa(q.port)), cfg)
	if err != nil {
		return nil, err
	}
	conn.SetType(q.transferType())
	return conn, nil
}

// ---------------------------------------------------------------------------
// The session.

// ready checks, before OK, that a command may use the session.
func (q *quectel) ready() error {
	if q.conn == nil {
		return errNotOpen
	}
	if q.put != nil || q.paused != nil {
		return errSessionBsy
	}
	return nil
}

// live returns the session's connection, logging in again first when a
// setting that the client fixes at login (transmode, rsptimeout,
// data_address) changed: the note says AT+QFTPCFG takes effect at once.
func (q *quectel) live(ctx context.Context) (*ftp.Conn, error) {
	if !q.stale {
		return q.conn, nil
	}
	q.stale = false
	dir, err := q.conn.CurrentDir(ctx)
	if err != nil {
		return nil, err
	}
	q.conn.Close()
	q.conn = nil
	conn, err := q.dial(ctx)
	if err != nil {
		q.stat = statClosed
		return nil, err
	}
	if err := conn.ChangeDir(ctx, dir); err != nil {
		conn.Close()
		q.stat = statClosed
		return nil, err
	}
	q.conn = conn
	return conn, nil
}

// closeSession ends the session, any transfer on it and the chunked upload.
// commit closes a pending upload normally instead of aborting it.
func (q *quectel) closeSession(commit bool) {
	if q.paused != nil {
		q.paused.abort()
		q.paused = nil
	}
	if q.put != nil {
		if commit {
			q.put.w.Close()
		} else {
			q.put.w.Abort()
		}
		q.put = nil
	}
	if q.conn != nil {
		q.conn.Close()
		q.conn = nil
	}
	q.stale = false
	q.stat = statClosed
}

func (q *quectel) shutdown() { q.closeSession(false) }

// AT+QFTPOPEN=<hostname>[,<port>]
func (q *quectel) cmdOPEN(ctx context.Context, c *call) error {
	if done, err := c.only(formSet, "+QFTPOPEN: <hostname>,<port>"); done {
		return err
	}
	host, err := c.str(0, maxHostname)
	if err != nil || host == "" || len(c.args) > 2 {
		return errParam
	}
	port, err := c.numOr(1, 1, 65535, 21)
	if err != nil {
		return errParam
	}
	if q.conn != nil {
		return errSessionBsy
	}
	q.host, q.port = host, port
	q.stat = statOpening
	c.after = append(c.after, func() {
		conn, err := q.dial(ctx)
		if err != nil {
			q.stat = statClosed
			q.report("+QFTPOPEN", err, phaseCommand)
			return
		}
		q.conn, q.stat = conn, statIdle
		q.report("+QFTPOPEN", nil, phaseCommand)
	})
	return nil
}

// AT+QFTPCLOSE
func (q *quectel) cmdCLOSE(_ context.Context, c *call) error {
	if done, err := c.only(formExec); done {
		return err
	}
	c.after = append(c.after, func() {
		if q.conn != nil {
			q.stat = statClosing
		}
		q.closeSession(true)
		q.report("+QFTPCLOSE", nil, phaseCommand)
	})
	return nil
}

// AT+QFTPCWD=<path_name>
func (q *quectel) cmdCWD(ctx context.Context, c *call) error {
	if done, err := c.only(formSet, "+QFTPCWD: <path_name>"); done {
		return err
	}
	dir, err := c.str(0, maxCWDPath)
	if err != nil || dir == "" || len(c.args) > 1 {
		return errParam
	}
	return q.later(ctx, c, "+QFTPCWD", func(conn *ftp.Conn) (string, error) {
		return "0", conn.ChangeDir(ctx, dir)
	})
}

// AT+QFTPPWD. The note's section 2.4 names the answer +QFTPCWD; its table
// and examples show +QFTPPWD, which is what is sent. The examples differ on
// quoting ("+QFTPPWD: 0,/" in 3.3, "+QFTPPWD: 0,"/"" in 3.4); <path_name> is
// a string parameter, and strings are quoted, as in +QFTPMDTM.
func (q *quectel) cmdPWD(ctx context.Context, c *call) error {
	if done, err := c.only(formExec); done {
		return err
	}
	return q.later(ctx, c, "+QFTPPWD", func(conn *ftp.Conn) (string, error) {
		dir, err := conn.CurrentDir(ctx)
		return quote(dir), err
	})
}

// later answers OK once the session is ready; then it runs op on the live
// connection and reports the result as "NAME: 0,<ok>", or the failure.
func (q *quectel) later(ctx context.Context, c *call, name string, op func(conn *ftp.Conn) (ok string, err error)) error {
	if err := q.ready(); err != nil {
		return err
	}
	c.after = append(c.after, func() {
		conn, err := q.live(ctx)
		var ok string
		if err == nil {
			ok, err = op(conn)
		}
		if err != nil {
			q.report(name, err, phaseCommand)
			return
		}
		q.m.urc(name + ": 0," + ok)
	})
	return nil
}

// simple builds the handler of a command with one name parameter whose
// success URC op formats.
func (q *quectel) simple(name, testArg string, op func(ctx context.Context, conn *ftp.Conn, file string) (string, error)) handler {
	return func(ctx context.Context, c *call) error {
		if done, err := c.only(formSet, name+": "+testArg); done {
			return err
		}
		file, err := c.str(0, maxFileName)
		if err != nil || file == "" || len(c.args) > 1 {
			return errParam
		}
		return q.later(ctx, c, name, func(conn *ftp.Conn) (string, error) {
			return op(ctx, conn, file)
		})
	}
}

func (q *quectel) opSize(ctx context.Context, conn *ftp.Conn, file string) (string, error) {
	n, err := conn.Size(ctx, file)
	return strconv.FormatInt(n, 10), err
}

func (q *quectel) opDelete(ctx context.Context, conn *ftp.Conn, file string) (string, error) {
	return "0", conn.Delete(ctx, file)
}

func (q *quectel) opMkdir(ctx context.Context, conn *ftp.Conn, dir string) (string, error) {
	_, err := conn.MakeDir(ctx, dir)
	return "0", err
}

func (q *quectel) opRmdir(ctx context.Context, conn *ftp.Conn, dir string) (string, error) {
	return "0", conn.RemoveDir(ctx, dir)
}

// opMdtm formats the time as "YYYYMMDDHHMMSS", or "YYYYMMDDHHMMSS.NNN" when
// the server gave milliseconds.
func (q *quectel) opMdtm(ctx context.Context, conn *ftp.Conn, file string) (string, error) {
	t, err := conn.ModTime(ctx, file)
	if err != nil {
		return "", err
	}
	s := t.UTC().Format("20060102150405")
	if ms := t.Nanosecond() / 1e6; ms != 0 {
		s += fmt.Sprintf(".%03d", ms)
	}
	return quote(s), nil
}

// AT+QFTPRENAME=<old_name>,<new_name>
func (q *quectel) cmdRENAME(ctx context.Context, c *call) error {
	if done, err := c.only(formSet, "+QFTPRENAME: <old_name>,<new_name>"); done {
		return err
	}
	from, err1 := c.str(0, maxFileName)
	to, err2 := c.str(1, maxFileName)
	if err1 != nil || err2 != nil || from == "" || to == "" || len(c.args) > 2 {
		return errParam
	}
	return q.later(ctx, c, "+QFTPRENAME", func(conn *ftp.Conn) (string, error) {
		return "0", conn.Rename(ctx, from, to)
	})
}

// AT+QFTPLEN: the length of the last transfer, or of the current one.
func (q *quectel) cmdLEN(_ context.Context, c *call) error {
	if done, err := c.only(formExec); done {
		return err
	}
	n := q.lastLen
	if q.paused != nil {
		n = q.paused.sent
	}
	c.after = append(c.after, func() { q.m.urc(fmt.Sprintf("+QFTPLEN: 0,%d", n)) })
	return nil
}

// AT+QFTPSTAT. The table of section 2.17 puts +QFTPSTAT after OK; the
// example of section 3.6 puts it before, as an information response of a
// local query. The example is followed.
func (q *quectel) cmdSTAT(_ context.Context, c *call) error {
	if done, err := c.only(formExec); done {
		return err
	}
	stat := q.stat
	if q.conn != nil && (q.put != nil || q.paused != nil) {
		stat = statBusy
	}
	c.info = append(c.info, fmt.Sprintf("+QFTPSTAT: 0,%d", stat))
	return nil
}

// ---------------------------------------------------------------------------
// Uploads.

// isCOM reports whether a <local_name> is the port. Section 3.6 writes
// "COM: " once, with a trailing space: spaces around the name are ignored.
func isCOM(local string) bool { return strings.EqualFold(strings.TrimSpace(local), "COM:") }

// transferArgs reads <file_name>,<local_name>[,<startpos>] of AT+QFTPPUT
// and AT+QFTPGET, which take at most max parameters. The parameters after
// <startpos> (<uploadlen> and <beof>, <downloadlen>) are for COM: only.
func transferArgs(c *call, max int) (file, local string, start int64, err error) {
	file, err1 := c.str(0, maxFileName)
	local, err2 := c.str(1, maxLocalName)
	if err1 != nil || err2 != nil || file == "" || len(c.args) > max {
		return "", "", 0, errParam
	}
	n, err := c.numOr(2, 0, 1<<31-1, 0)
	if err != nil || !isCOM(local) && len(c.args) > 3 {
		return "", "", 0, errParam
	}
	return file, local, int64(n), nil
}

// AT+QFTPPUT=<file_name>,<local_name>[,<startpos>[,<uploadlen>,<beof>]]
func (q *quectel) cmdPUT(ctx context.Context, c *call) error {
	if done, err := c.only(formSet, "+QFTPPUT: <file_name>,<local_name>,<startpos>,<uploadlen>,<beof>"); done {
		return err
	}
	file, local, start, err := transferArgs(c, 5)
	if err != nil {
		return err
	}
	if !isCOM(local) {
		return q.putLocal(ctx, c, file, local, start)
	}
	limit, beof := int64(-1), 1
	if c.has(3) || c.has(4) {
		n, err := c.num(3, 1, 1<<31-1)
		if err != nil {
			return errParam
		}
		if beof, err = c.num(4, 0, 1); err != nil {
			return errParam
		}
		limit = int64(n)
	}
	if q.conn == nil {
		return errNotOpen
	}
	if q.paused != nil {
		return errSessionBsy
	}
	var w *ftp.Writer
	if q.put != nil {
		switch {
		case q.put.file != file:
			return errSessionBsy
		case q.put.next != start:
			return cmeError(classify(errLocalPosition, phaseUpload).quectel)
		}
		w = q.put.w
		q.put = nil
	} else {
		conn, err := q.live(ctx)
		if err == nil {
			w, err = conn.StoreFrom(ctx, file, start)
		}
		if err != nil {
			// No CONNECT: the failure is the answer.
			q.report("+QFTPPUT", err, q.openPhase())
			return errHandled
		}
	}
	m := q.m
	q.stat = statBusy
	m.line("CONNECT")
	n, end, err := m.receiveData(ctx, limit, q.rsp(), func(b []byte) error {
		_, err := w.Write(b)
		return err
	})
	m.line("OK")
	q.lastLen = n
	switch {
	case err != nil:
		w.Abort()
		q.report("+QFTPPUT", err, phaseUpload)
	case end == endIdle:
		w.Abort()
		q.report("+QFTPPUT", errIdle, phaseUpload)
	case end == endLimit && beof == 0:
		// Not the last packet: the data connection stays open for the
		// next AT+QFTPPUT to the same file.
		q.put = &chunkedPut{w: w, file: file, next: start + n}
		m.urc(fmt.Sprintf("+QFTPPUT: 0,%d", n))
		return errHandled
	default:
		if err := w.Close(); err != nil {
			q.report("+QFTPPUT", err, phaseUpload)
		} else {
			m.urc(fmt.Sprintf("+QFTPPUT: 0,%d", n))
		}
	}
	q.stat = statIdle
	return errHandled
}

// putLocal uploads a local file, from <startpos> of the file to the same
// position of the remote file (resuming an upload).
func (q *quectel) putLocal(ctx context.Context, c *call, file, local string, start int64) error {
	name, ok := canonLocal(strings.TrimSpace(local))
	if !ok {
		return errParam
	}
	data, exists := q.files.get(name)
	if !exists {
		return cmeError(classify(errLocalNotFound, phaseUpload).quectel)
	}
	if start > int64(len(data)) {
		return cmeError(classify(errLocalPosition, phaseUpload).quectel)
	}
	if err := q.ready(); err != nil {
		return err
	}
	c.after = append(c.after, func() {
		q.stat = statBusy
		defer func() { q.stat = statIdle }()
		conn, err := q.live(ctx)
		if err != nil {
			q.report("+QFTPPUT", err, phaseCommand)
			return
		}
		w, err := conn.StoreFrom(ctx, file, start)
		if err != nil {
			q.report("+QFTPPUT", err, q.openPhase())
			return
		}
		n, err := w.ReadFrom(bytes.NewReader(data[start:]))
		q.lastLen = n
		if err != nil {
			w.Abort()
			q.report("+QFTPPUT", err, phaseUpload)
			return
		}
		if err := w.Close(); err != nil {
			q.report("+QFTPPUT", err, phaseUpload)
			return
		}
		q.m.urc(fmt.Sprintf("+QFTPPUT: 0,%d", n))
	})
	return nil
}

// ---------------------------------------------------------------------------
// Downloads and listings.

// idleWatch cancels a transfer when a Read of the server's data blocks for
// longer than rsptimeout ("the longest interval between two packets").
type idleWatch struct {
	d     time.Duration
	timer *time.Timer
	fired atomic.Bool
}

func newIdleWatch(d time.Duration, cancel context.CancelFunc) *idleWatch {
	w := &idleWatch{d: d}
	w.timer = time.AfterFunc(time.Hour, func() {
		w.fired.Store(true)
		cancel()
	})
	w.timer.Stop()
	return w
}

type watchedReader struct {
	r io.Reader
	w *idleWatch
}

func (wr watchedReader) Read(p []byte) (int, error) {
	wr.w.timer.Reset(wr.w.d)
	n, err := wr.r.Read(p)
	wr.w.timer.Stop()
	return n, err
}

// explain turns the error of a watched transfer into errIdle when the
// watch cut it.
func (w *idleWatch) explain(err error) error {
	if err != nil && w.fired.Load() {
		return errIdle
	}
	return err
}

// retrieve opens the download of file from start, its reads watched for
// rsptimeout; cancel ends it. When it cannot (ok false), it has reported
// +QFTPGET.
func (q *quectel) retrieve(ctx context.Context, file string, start int64) (r *ftp.Reader, watch *idleWatch, cancel context.CancelFunc, ok bool) {
	tctx, cancel := context.WithCancel(ctx)
	conn, err := q.live(ctx)
	if err == nil {
		r, err = conn.RetrieveFrom(tctx, file, start)
	}
	if err != nil {
		cancel()
		q.report("+QFTPGET", err, q.openPhase())
		return nil, nil, nil, false
	}
	return r, newIdleWatch(q.rsp(), cancel), cancel, true
}

// AT+QFTPGET=<file_name>,<local_name>[,<startpos>[,<downloadlen>]]
func (q *quectel) cmdGET(ctx context.Context, c *call) error {
	if done, err := c.only(formSet, "+QFTPGET: <file_name>,<local_name>,<startpos>,<downloadlen>"); done {
		return err
	}
	file, local, start, err := transferArgs(c, 4)
	if err != nil {
		return err
	}
	if !isCOM(local) {
		name, ok := canonLocal(strings.TrimSpace(local))
		if !ok {
			return errParam
		}
		if err := q.ready(); err != nil {
			return err
		}
		c.after = append(c.after, func() { q.getLocal(ctx, file, name, start) })
		return nil
	}
	limit := int64(-1)
	if c.has(3) {
		n, err := c.num(3, 0, 1<<31-1)
		if err != nil {
			return errParam
		}
		if n > 0 {
			limit = int64(n)
		}
	}
	if err := q.ready(); err != nil {
		return err
	}
	r, watch, cancel, ok := q.retrieve(ctx, file, start)
	if !ok {
		return errHandled
	}
	g := &comGet{name: "+QFTPGET", r: r, watch: watch, limit: limit, cancel: cancel}
	g.p = startPump(watchedReader{r, watch}, cancel, 64<<10, nil)
	return q.runCOM(ctx, g)
}

// runCOM sends a download to the port until it ends or "+++" pauses it.
func (q *quectel) runCOM(ctx context.Context, g *comGet) error {
	m := q.m
	q.stat = statBusy
	m.line("CONNECT")
	paused, err := m.sendData(ctx, g.p, g.limit, &g.sent)
	if paused {
		q.paused = g
		m.line("OK")
		return errHandled
	}
	q.paused = nil
	if err == nil && g.limit >= 0 && g.sent >= g.limit {
		// <downloadlen> reached: the rest stays on the server.
		if done, _ := g.p.finished(); !done {
			g.p.halt(haltGrace)
			if g.r != nil {
				g.r.Close() // ABOR, on a live context: the Conn stays
			}
			g.r = nil
		}
	}
	if g.r != nil {
		g.p.stop()
		if cerr := g.r.Close(); err == nil {
			err = cerr
		}
	}
	if g.watch != nil {
		err = g.watch.explain(err)
	}
	g.cancel()
	m.line("OK")
	q.lastLen = g.sent
	q.stat = statIdle
	if err != nil {
		q.report(g.name, err, phaseDownload)
	} else {
		m.urc(fmt.Sprintf("%s: 0,%d", g.name, g.sent))
	}
	return errHandled
}

// abort ends a paused transfer.
func (g *comGet) abort() {
	g.p.halt(haltGrace)
	if g.r != nil {
		g.r.Close()
	}
	g.cancel()
}

// resume is ATO: data mode again for a paused download or listing. (After
// AT+QFTPPUT, ATO does not return to data mode, as the note says.)
func (q *quectel) resume(ctx context.Context) error {
	if q.paused == nil {
		return errSyntax
	}
	return q.runCOM(ctx, q.paused)
}

// getLocal downloads to a local file: the file holds the bytes from
// <startpos> on.
func (q *quectel) getLocal(ctx context.Context, file, name string, start int64) {
	q.stat = statBusy
	defer func() { q.stat = statIdle }()
	r, watch, cancel, ok := q.retrieve(ctx, file, start)
	if !ok {
		return
	}
	defer cancel()
	data, err := io.ReadAll(watchedReader{r, watch})
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	err = watch.explain(err)
	q.files.put(name, data)
	q.lastLen = int64(len(data))
	if err != nil {
		q.report("+QFTPGET", err, phaseDownload)
		return
	}
	q.m.urc(fmt.Sprintf("+QFTPGET: 0,%d", len(data)))
}

// listing builds the handler of AT+QFTPLIST, AT+QFTPNLST and AT+QFTPMLSD:
// <dirname>[,<local_name>], "COM:" by default.
func (q *quectel) listing(name, verb string) handler {
	return func(ctx context.Context, c *call) error {
		if done, err := c.only(formSet, name+": <dirname>,<local_name>"); done {
			return err
		}
		dir, err := c.str(0, maxFileName)
		if err != nil || dir == "" || len(c.args) > 2 {
			return errParam
		}
		local := "COM:"
		if c.has(1) {
			if local, err = c.str(1, maxLocalName); err != nil {
				return errParam
			}
		}
		if dir == "." {
			dir = "" // the current directory, set by AT+QFTPCWD
		}
		var store string
		if !isCOM(local) {
			var ok bool
			if store, ok = canonLocal(strings.TrimSpace(local)); !ok {
				return errParam
			}
		}
		if err := q.ready(); err != nil {
			return err
		}
		if store != "" {
			c.after = append(c.after, func() {
				q.stat = statBusy
				defer func() { q.stat = statIdle }()
				text, err := q.listText(ctx, verb, dir)
				if err != nil {
					q.report(name, err, q.openPhase())
					return
				}
				q.files.put(store, text)
				q.lastLen = int64(len(text))
				q.m.urc(fmt.Sprintf("%s: 0,%d", name, len(text)))
			})
			return nil
		}
		text, err := q.listText(ctx, verb, dir)
		if err != nil {
			q.report(name, err, q.openPhase())
			return errHandled
		}
		nop := func() {}
		g := &comGet{name: name, limit: -1, cancel: nop}
		g.p = startPump(bytes.NewReader(text), nop, len(text)+1, nil)
		return q.runCOM(ctx, g)
	}
}

// listText returns a listing as the server sent it, or for MLSD on a
// server without it, MLSD lines made from its LIST (see listingText).
func (q *quectel) listText(ctx context.Context, verb, dir string) ([]byte, error) {
	conn, err := q.live(ctx)
	if err != nil {
		return nil, err
	}
	return listingText(ctx, conn, verb, dir)
}
