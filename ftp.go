// Dialing and the operations of a Conn: directories, files, sizes and
// times, and the transfer streams.

package ftp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/seed362563c3/ftp/listing"
)

// Dial connects to addr ("host", "host:port", an IPv4 or IPv6 literal with
// or without a port; the port defaults to 21, or 990 for implicit TLS),
// reads the greeting, sets up TLS as cfg.TLS asks (AUTH TLS before the
// credentials, PBSZ and PROT after) and logs in with cfg's credentials
// (anonymously when cfg.User is empty). A nil cfg is the zero Config. The
// context bounds the whole of it.
//
// Passive data connections go to the control connection's peer IP; with
// cfg.DialContext set (a proxy, see package ftpproxy) they go to the host in
// addr instead, dialled through cfg.DialContext like the control connection.
func Dial(ctx context.Context, addr string, cfg *Config) (*Conn, error) {
	cfg = cfg.Clone()
	port := DefaultPort
	if cfg.TLS == TLSImplicit {
		port = DefaultImplicitTLSPort
	}
	addr = withDefaultPort(addr, port)
	host, _, _ := net.SplitHostPort(addr)
	nc, err := cfg.dial(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("ftp: dial %s: %w", addr, err)
	}
	c, err := newConn(ctx, nc, cfg, host)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

// NewConn runs an FTP session over an established connection: it reads the
// greeting and logs in as Dial does. Data connections are dialled with
// cfg.DialContext to nc's remote address. For TLS the server's name is
// cfg.TLSConfig.ServerName, or else nc's remote IP. On error nc is closed.
func NewConn(ctx context.Context, nc net.Conn, cfg *Config) (*Conn, error) {
	host, _, _ := net.SplitHostPort(nc.RemoteAddr().String())
	c, err := newConn(ctx, nc, cfg.Clone(), host)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

func newConn(ctx context.Context, nc net.Conn, cfg *Config, host string) (*Conn, error) {
	c := &Conn{cfg: cfg, gone: make(chan struct{})}
	c.goneCtx, c.goneCancel = context.WithCancel(context.Background())
	c.setControl(nc)
	if ta, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		c.peer = ta.IP
	} else if host, _, err := net.SplitHostPort(nc.RemoteAddr().String()); err == nil {
		c.peer = net.ParseIP(host)
	}
	if c.peer == nil {
		return nil, fmt.Errorf("ftp: %w: the control connection's peer %q is not an IP address", ErrInvalidArgument, nc.RemoteAddr())
	}
	// Through a proxy or a DialContext hook the peer may be the proxy, not
	// the server: passive data connections then go to the host the control
	// connection was dialled to, through the same hook.
	c.dataHost = c.peer.String()
	if target, ok := tunnelTarget(nc); ok {
		c.dataHost, c.proxied = target, true
	} else if cfg.DialContext != nil && host != "" {
		c.dataHost = host
	}
	if cfg.TLS != TLSNone {
		c.tlsConf = cfg.tlsConfig(host)
	}
	if cfg.TLS == TLSImplicit {
		if err := c.startImplicitTLS(ctx); err != nil {
			return nil, err
		}
	}
	if err := c.greet(ctx); err != nil {
		return nil, err
	}
	if (cfg.TLS == TLSExplicit || cfg.TLS == TLSExplicitIfAvailable) && !c.preLoggedIn {
		if err := c.authTLS(ctx); err != nil {
			return nil, err
		}
	}
	if c.preLoggedIn && cfg.TLS == TLSExplicitIfAvailable {
		c.tlsConf = nil
	}
	if !c.preLoggedIn {
		if err := c.login(ctx); err != nil {
			c.abandon(err)
			return nil, err
		}
	}
	if c.tlsConf != nil {
		if err := c.protect(ctx); err != nil {
			c.abandon(err)
			return nil, err
		}
	}
	return c, nil
}

// withDefaultPort adds port to an address without one.
func withDefaultPort(addr, port string) string {
	if _, _, err := net.SplitHostPort(addr); err == nil {
		return addr
	}
	host := strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
	return net.JoinHostPort(host, port)
}

// CurrentDir returns the working directory (PWD).
func (c *Conn) CurrentDir(ctx context.Context) (string, error) {
	r, err := c.cmd(ctx, "PWD", "", StatusPathCreated)
	if err != nil {
		return "", err
	}
	dir, err := parseQuoted(r.Message)
	if err != nil {
		return "", &ProtocolError{Command: "PWD", Reason: err.Error(), Line: shorten(r.Message)}
	}
	return dir, nil
}

// parseQuoted extracts the path of a 257 reply: the text between the first
// quote and the next quote that is not doubled, with "" read as ".
func parseQuoted(msg string) (string, error) {
	start := strings.IndexByte(msg, '"')
	if start < 0 {
		return "", errors.New("no quoted path")
	}
	var sb strings.Builder
	for i := start + 1; i < len(msg); i++ {
		if msg[i] != '"' {
			sb.WriteByte(msg[i])
			continue
		}
		if i+1 < len(msg) && msg[i+1] == '"' {
			sb.WriteByte('"')
			i++
			continue
		}
		return sb.String(), nil
	}
	return "", errors.New("quoted path without its closing quote")
}

// ChangeDir changes the working directory (CWD).
func (c *Conn) ChangeDir(ctx context.Context, dir string) error {
	c.notes().cwd = "" // asked again (PWD) when needed
	return c.pathCmd(ctx, "CWD", dir, 2)
}

// ChangeDirToParent moves to the parent directory (CDUP).
func (c *Conn) ChangeDirToParent(ctx context.Context) error {
	c.notes().cwd = ""
	_, err := c.cmd(ctx, "CDUP", "", 2)
	return err
}

// pathCmd sends a command whose argument is a path.
func (c *Conn) pathCmd(ctx context.Context, verb, p string, want ...int) error {
	if p == "" {
		return fmt.Errorf("ftp: %s: %w: empty path", verb, ErrInvalidArgument)
	}
	if err := validateArg(verb, p); err != nil {
		return err
	}
	if err := c.prepareArg(ctx, p); err != nil {
		return err
	}
	_, err := c.cmd(ctx, verb, p, want...)
	return err
}

// MakeDir creates a directory (MKD) and returns its path as the server
// reports it (dir itself when the reply names no path).
func (c *Conn) MakeDir(ctx context.Context, dir string) (string, error) {
	if dir == "" {
		return "", fmt.Errorf("ftp: MKD: %w: empty path", ErrInvalidArgument)
	}
	if err := validateArg("MKD", dir); err != nil {
		return "", err
	}
	if err := c.prepareArg(ctx, dir); err != nil {
		return "", err
	}
	r, err := c.cmd(ctx, "MKD", dir, StatusPathCreated, 2)
	if err != nil {
		return "", err
	}
	created, perr := parseQuoted(r.Message)
	if perr != nil {
		if strings.IndexByte(r.Message, '"') >= 0 {
			return "", &ProtocolError{Command: "MKD " + dir, Reason: perr.Error(), Line: shorten(r.Message)}
		}
		return dir, nil
	}
	return created, nil
}

// MakeDirAll creates dir and any missing parents, like os.MkdirAll. A
// directory that exists already is not an error.
func (c *Conn) MakeDirAll(ctx context.Context, dir string) error {
	if dir == "" {
		return fmt.Errorf("ftp: MKD: %w: empty path", ErrInvalidArgument)
	}
	if err := validateArg("MKD", dir); err != nil {
		return err
	}
	parts := strings.Split(dir, "/")
	prefix := ""
	if strings.HasPrefix(dir, "/") {
		prefix = "/"
	}
	for _, part := range parts {
		if part == "" || part == "." {
			continue
		}
		prefix = path.Join(prefix, part)
		if _, err := c.MakeDir(ctx, prefix); err != nil {
			var fe *Error
			if !errors.As(err, &fe) {
				return err
			}
			if e, serr := c.Stat(ctx, prefix); serr != nil || e.Type != EntryDir {
				return err
			}
		}
	}
	return nil
}

// RemoveDir removes an empty directory (RMD).
func (c *Conn) RemoveDir(ctx context.Context, dir string) error {
	return c.pathCmd(ctx, "RMD", dir, 2)
}

// Delete removes a file (DELE).
func (c *Conn) Delete(ctx context.Context, file string) error {
	return c.pathCmd(ctx, "DELE", file, 2)
}

// Rename renames from to to (RNFR, then RNTO).
func (c *Conn) Rename(ctx context.Context, from, to string) error {
	if err := validateArg("RNTO", to); err != nil {
		return err
	}
	if to == "" {
		return fmt.Errorf("ftp: RNTO: %w: empty path", ErrInvalidArgument)
	}
	if err := c.pathCmd(ctx, "RNFR", from, StatusRequestFilePending); err != nil {
		return err
	}
	return c.pathCmd(ctx, "RNTO", to, 2)
}

// Size returns a file's size in bytes (SIZE). The size depends on the
// transfer type, so TYPE is sent first when needed (binary unless SetType
// chose ASCII). A server without SIZE (500, 501, 502 or 504: aioftp) is
// asked with MLST instead, from then on for the session, where it has
// MLST.
func (c *Conn) Size(ctx context.Context, file string) (int64, error) {
	if err := c.usable(); err != nil {
		return 0, err
	}
	if err := validateArg("SIZE", file); err != nil {
		return 0, err
	}
	want := c.wantType
	if want == 0 {
		want = TypeBinary
	}
	if err := c.setType(ctx, want); err != nil {
		return 0, err
	}
	if err := c.prepareArg(ctx, file); err != nil {
		return 0, err
	}
	if c.notes().noSize {
		return c.sizeByMLST(ctx, file, nil)
	}
	r, err := c.cmd(ctx, "SIZE", file, StatusFile)
	var fe *Error
	if errors.As(err, &fe) && refusesSyntax(fe.Code) {
		return c.sizeByMLST(ctx, file, err)
	}
	if err != nil {
		return 0, err
	}
	n, perr := strconv.ParseInt(strings.TrimSpace(r.Message), 10, 64)
	if perr != nil || n < 0 {
		return 0, &ProtocolError{Command: "SIZE " + file, Reason: "213 reply without a size", Line: shorten(r.Message)}
	}
	return n, nil
}

// sizeByMLST answers Size on a server without SIZE (aioftp) from MLST's
// size fact, when the server has MLST; otherwise refused, the refusal of
// SIZE, is the answer (an error matching ErrNotSupported).
func (c *Conn) sizeByMLST(ctx context.Context, file string, refused error) (int64, error) {
	e, ok, err := c.factsByMLST(ctx, file)
	switch {
	case err != nil:
		return 0, err
	case !ok:
		if refused == nil {
			refused = fmt.Errorf("ftp: SIZE %s: %w", file, ErrNotSupported)
		}
		return 0, refused
	}
	c.notes().noSize = true
	if e.Type == EntryDir || e.Size < 0 {
		return 0, &Error{Command: "MLST " + file, Code: StatusFileUnavailable, Msg: file + ": not a plain file"}
	}
	return e.Size, nil
}

// factsByMLST describes file with MLST when the server has it (ok false
// when it does not). A server without FEAT (aioftp) may have MLST all
// the same: it is asked, and a refusal of the command means it has not.
func (c *Conn) factsByMLST(ctx context.Context, file string) (*Entry, bool, error) {
	feats, err := c.Features(ctx)
	if err != nil || len(feats) > 0 && !feats.Has("MLST") {
		return nil, false, err
	}
	e, err := c.mlst(ctx, file)
	var fe *Error
	if errors.As(err, &fe) && refusesSyntax(fe.Code) {
		return nil, false, nil
	}
	return e, err == nil, err
}

// ModTime returns a file's modification time (MDTM), in UTC. A server
// without MDTM is asked with MLST instead, as Size does.
func (c *Conn) ModTime(ctx context.Context, file string) (time.Time, error) {
	if file == "" {
		return time.Time{}, fmt.Errorf("ftp: MDTM: %w: empty path", ErrInvalidArgument)
	}
	if err := validateArg("MDTM", file); err != nil {
		return time.Time{}, err
	}
	if err := c.prepareArg(ctx, file); err != nil {
		return time.Time{}, err
	}
	if c.notes().noMDTM {
		return c.modTimeByMLST(ctx, file, nil)
	}
	r, err := c.cmd(ctx, "MDTM", file, StatusFile)
	var fe *Error
	if errors.As(err, &fe) && refusesSyntax(fe.Code) {
		return c.modTimeByMLST(ctx, file, err)
	}
	if err != nil {
		return time.Time{}, err
	}
	t, perr := listing.ParseTime(strings.TrimSpace(r.Message))
	if perr != nil {
		return time.Time{}, &ProtocolError{Command: "MDTM " + file, Reason: "213 reply without a time", Line: shorten(r.Message)}
	}
	return t, nil
}

// modTimeByMLST answers ModTime on a server without MDTM from MLST's
// modify fact, as sizeByMLST does for Size.
func (c *Conn) modTimeByMLST(ctx context.Context, file string, refused error) (time.Time, error) {
	e, ok, err := c.factsByMLST(ctx, file)
	switch {
	case err != nil:
		return time.Time{}, err
	case !ok || e.ModTime.IsZero():
		if refused == nil {
			refused = fmt.Errorf("ftp: MDTM %s: %w", file, ErrNotSupported)
		}
		return time.Time{}, refused
	}
	c.notes().noMDTM = true
	return e.ModTime.UTC(), nil
}

// SetModTime sets a file's modification time, to the second, with the
// first command the server takes: MFMT when FEAT lists it; MDTM with the
// time before the path (vsftpd with mdtm_write), unless FEAT lists other
// features and not MDTM; SITE UTIME path atime mtime ctime UTC (proftpd's
// mod_site_misc, pure-ftpd); SITE UTIME time path (the form mod_site_misc
// documents). What worked is used from then on for the session, and what was
// refused is not sent again; when nothing works, the error matches
// ErrNotSupported, at once on later calls. A server without the MDTM form
// may read its argument as the name of a file, so its first success is
// proven by reading the time back (MDTM path). vsftpd with use_localtime
// takes that time as its local time, and shows it so too.
func (c *Conn) SetModTime(ctx context.Context, file string, t time.Time) error {
	if file == "" {
		return fmt.Errorf("ftp: MFMT: %w: empty path", ErrInvalidArgument)
	}
	if err := validateArg("MFMT", file); err != nil {
		return err
	}
	feats, err := c.Features(ctx)
	if err != nil {
		return err
	}
	t = t.UTC().Truncate(time.Second)
	s := c.notes()
	if s.timeSet != 0 {
		_, err := c.setTime(ctx, s.timeSet, file, t, false)
		return err
	}
	for m := setMFMT; m <= setSiteUTIMEShort; m++ {
		switch {
		case s.timeNo&(1<<m) != 0,
			m == setMFMT && !feats.Has("MFMT"),
			m == setMDTM && len(feats) > 0 && !feats.Has("MDTM"):
			continue
		}
		refused, err := c.setTime(ctx, m, file, t, true)
		if refused {
			s.timeNo |= 1 << m
			continue
		}
		if err == nil {
			s.timeSet = m
		}
		return err
	}
	return fmt.Errorf("ftp: setting the modification time of %s: %w: neither MFMT, MDTM with a time nor SITE UTIME", file, ErrNotSupported)
}

// timeSetter is a command that sets a modification time, in the order
// SetModTime tries them.
type timeSetter uint8

const (
	setMFMT           timeSetter = iota + 1 // MFMT time path
	setMDTM                                 // MDTM time path
	setSiteUTIME                            // SITE UTIME path atime mtime ctime UTC
	setSiteUTIMEShort                       // SITE UTIME time path
)

// setTime sets file's time t with m. probing says m has not worked in
// this session yet; refused then reports that the server does not set
// times this way (as opposed to an error of this file).
func (c *Conn) setTime(ctx context.Context, m timeSetter, file string, t time.Time, probing bool) (refused bool, err error) {
	stamp := t.Format("20060102150405")
	switch m {
	case setMFMT:
		_, err = c.cmd(ctx, "MFMT", stamp+" "+file, 2)
	case setMDTM:
		return c.setTimeMDTM(ctx, file, t, probing)
	case setSiteUTIME:
		_, err = c.cmd(ctx, "SITE", "UTIME "+file+" "+stamp+" "+stamp+" "+stamp+" UTC", 2)
	default:
		_, err = c.cmd(ctx, "SITE", "UTIME "+stamp+" "+file, 2)
	}
	var fe *Error
	return probing && errors.As(err, &fe) && refusesSyntax(fe.Code), err
}

// setTimeMDTM sets file's time with "MDTM time path". A server without
// that form takes "time path" as a file name: 550 when there is no such
// file, or 213 and that file's time when there is. So a 213 giving a time
// is a refusal, and while probing, a success counts only once MDTM path
// reads the time back, and a failure is the server's only when the file
// is there (MDTM path answers).
func (c *Conn) setTimeMDTM(ctx context.Context, file string, t time.Time, probing bool) (refused bool, err error) {
	line := t.Format("20060102150405") + " " + file
	r, err := c.cmd(ctx, "MDTM", line, StatusFile)
	var fe *Error
	switch {
	case err == nil:
		if _, perr := listing.ParseTime(strings.TrimSpace(r.Message)); perr == nil {
			return probing, fmt.Errorf("ftp: MDTM %s: the server answered with the time of a file of that name (%s) instead of setting it", line, strings.TrimSpace(r.Message))
		}
		if !probing {
			return false, nil
		}
		got, err := c.ModTime(ctx, file)
		if err != nil {
			return errors.As(err, &fe), err
		}
		if !got.Truncate(time.Second).Equal(t) {
			return true, fmt.Errorf("ftp: MDTM %s: the time reads back as %s", line, got.Format("20060102150405"))
		}
		return false, nil
	case !errors.As(err, &fe) || !probing:
		return false, err
	case refusesSyntax(fe.Code):
		return true, err
	}
	if _, merr := c.ModTime(ctx, file); merr != nil {
		return false, merr // the file's own error, such as a 550 for a missing file
	}
	return true, err
}

// NoOp sends NOOP, to keep the connection alive or to check it.
func (c *Conn) NoOp(ctx context.Context) error {
	_, err := c.cmd(ctx, "NOOP", "", 2)
	return err
}

// System returns the server's system type (SYST), such as "UNIX Type: L8".
func (c *Conn) System(ctx context.Context) (string, error) {
	r, err := c.cmd(ctx, "SYST", "", StatusName)
	return r.Message, err
}

// Status returns the server's STAT answer: the session's status for an
// empty p, otherwise the status of p (often a listing over the control
// connection).
func (c *Conn) Status(ctx context.Context, p string) (string, error) {
	if err := validateArg("STAT", p); err != nil {
		return "", err
	}
	if err := c.prepareArg(ctx, p); err != nil {
		return "", err
	}
	r, err := c.cmd(ctx, "STAT", p, StatusSystem, StatusDirectory, StatusFile, StatusHelp)
	return r.Message, err
}

// Retrieve starts the download of file (RETR). Read the Reader to its end
// and Close it; the Conn is busy until then.
func (c *Conn) Retrieve(ctx context.Context, file string) (*Reader, error) {
	return c.RetrieveFrom(ctx, file, 0)
}

// RetrieveFrom starts the download of file from byte offset (REST, then
// RETR), to resume a partial download.
func (c *Conn) RetrieveFrom(ctx context.Context, file string, offset int64) (*Reader, error) {
	if file == "" {
		return nil, fmt.Errorf("ftp: RETR: %w: empty path", ErrInvalidArgument)
	}
	t, err := c.openData(ctx, "RETR", file, offset, true)
	if err != nil {
		return nil, err
	}
	return newFileReader(t, c.curType == TypeASCII), nil
}

// Store starts the upload of file (STOR). Write to the Writer, io.Copy
// into it or hand it a source with Send, and Close it: only a nil error
// from Close (or Send) means the server confirmed the data.
func (c *Conn) Store(ctx context.Context, file string) (*Writer, error) {
	return c.StoreFrom(ctx, file, 0)
}

// StoreFrom starts the upload of file from byte offset (REST, then STOR),
// to resume an upload: what is written is the data from offset on.
func (c *Conn) StoreFrom(ctx context.Context, file string, offset int64) (*Writer, error) {
	if file == "" {
		return nil, fmt.Errorf("ftp: STOR: %w: empty path", ErrInvalidArgument)
	}
	t, err := c.openData(ctx, "STOR", file, offset, true)
	if err != nil {
		return nil, err
	}
	return newWriter(t, c.curType == TypeASCII), nil
}

// Append starts an upload that appends to file (APPE).
func (c *Conn) Append(ctx context.Context, file string) (*Writer, error) {
	if file == "" {
		return nil, fmt.Errorf("ftp: APPE: %w: empty path", ErrInvalidArgument)
	}
	t, err := c.openData(ctx, "APPE", file, 0, true)
	if err != nil {
		return nil, err
	}
	return newWriter(t, c.curType == TypeASCII), nil
}

// StoreUnique starts an upload under a name the server chooses (STOU);
// the Writer's UniqueName says which.
func (c *Conn) StoreUnique(ctx context.Context) (*Writer, error) {
	t, err := c.openData(ctx, "STOU", "", 0, true)
	if err != nil {
		return nil, err
	}
	return newWriter(t, c.curType == TypeASCII), nil
}

// Tunnel is implemented by connections that a Config.DialContext hook
// opened through a proxy (package ftpproxy's do): the Conn then dials its
// passive data connections, through the same hook, to the host of
// TunnelTarget (the proxy is the control connection's peer, not the
// server), and refuses active mode (ErrActiveThroughProxy), since the
// server cannot connect back through the tunnel.
type Tunnel interface {
	net.Conn
	// TunnelTarget returns the address (host:port) the proxy was asked to
	// reach.
	TunnelTarget() string
}

// tunnelTarget reports whether nc is a Tunnel and, if so, the host the
// proxy was asked to reach.
func tunnelTarget(nc net.Conn) (host string, ok bool) {
	t, ok := nc.(Tunnel)
	if !ok {
		return "", false
	}
	host, _, err := net.SplitHostPort(t.TunnelTarget())
	if err != nil {
		return "", false
	}
	return host, true
}
