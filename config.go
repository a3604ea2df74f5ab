// Config: every setting of a connection, documented with its zero value.

package ftp

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"time"
)

// Defaults used where a Config field is zero.
const (
	DefaultDialTimeout   = 30 * time.Second
	DefaultReplyTimeout  = 60 * time.Second
	DefaultAcceptTimeout = 30 * time.Second
	DefaultDataTimeout   = 5 * time.Minute
	DefaultPort          = "21"
	anonymousUser        = "anonymous"
	anonymousPassword    = "anonymous@"
)

// PassiveAddressPolicy says which address a passive data connection goes to
// after a 227 (PASV) reply. EPSV replies carry only a port and always go to
// the control connection's peer.
type PassiveAddressPolicy int

const (
	// PassiveControlPeer ignores the address in the 227 reply and connects
	// to the control connection's peer, as curl does since 7.74 (Quectel
	// data_address 1). A hostile or misconfigured server can then not point
	// the client at a third host. This is the default.
	PassiveControlPeer PassiveAddressPolicy = iota
	// PassiveServerAddress connects to the address the server names (Quectel
	// data_address 0); an unspecified address (0.0.0.0) still falls back to
	// the control peer.
	PassiveServerAddress
	// PassiveControlPeerThenServer tries the control peer first and, if that
	// connection fails, the address the server named (Quectel data_address 2).
	PassiveControlPeerThenServer
)

// TLSMode chooses whether and how the session is protected with TLS.
type TLSMode int

const (
	// TLSNone speaks plain FTP. This is the default.
	TLSNone TLSMode = iota
	// TLSExplicit sends AUTH TLS after the greeting (RFC 4217) and fails,
	// sending no credentials, if the server refuses it.
	TLSExplicit
	// TLSImplicit starts TLS on the first byte (port 990 by convention).
	TLSImplicit
	// TLSExplicitIfAvailable tries AUTH TLS and goes on in plain text when
	// the server refuses it. Only for servers known to lack TLS.
	TLSExplicitIfAvailable
)

// ActiveConfig configures active mode (EPRT, then PORT): the client listens
// and the server connects to it.
type ActiveConfig struct {
	// ListenAddr is the local IP to listen on. Empty means the local address
	// of the control connection.
	ListenAddr string
	// AdvertiseAddr is the IP sent in EPRT/PORT, for a client behind NAT.
	// Empty means the address listened on.
	AdvertiseAddr string
	// PortMin and PortMax bound the ports listened on. Zero for both means
	// any port the system picks.
	PortMin, PortMax int
	// AcceptTimeout bounds the wait for the server's connection. Zero means
	// DefaultAcceptTimeout.
	AcceptTimeout time.Duration
}

// Config holds the settings of a Conn. A Config may be shared by many
// connections but must not be modified after it is passed to Dial or
// NewConn. The zero Config logs in anonymously in passive mode.
type Config struct {
	// User and Password for USER and PASS. An empty User logs in as
	// "anonymous" with the password "anonymous@" unless Password is set.
	User     string
	Password string
	// Account is sent with ACCT when the server asks for one (332).
	Account string

	// DialContext opens the control and every data connection. Nil means a
	// net.Dialer with DialTimeout. Proxies plug in here.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// DialTimeout bounds each connection attempt. Zero means
	// DefaultDialTimeout.
	DialTimeout time.Duration
	// ReplyTimeout bounds the wait for each reply on the control connection.
	// Zero means DefaultReplyTimeout; a negative value means no limit.
	ReplyTimeout time.Duration

	// DataTimeout bounds how long a data connection may move no data before
	// the transfer fails: each Read or Write, and each MiB on the zero-copy
	// paths, must complete within it. Zero means DefaultDataTimeout; a
	// negative value means no limit (the context still applies).
	DataTimeout time.Duration

	// Logger, when set, receives the control dialogue at debug level, with
	// the arguments of PASS and ACCT masked.
	Logger *slog.Logger

	// Host, when set, is sent with HOST (RFC 7151) before logging in, to
	// choose a virtual host. A server that does not know HOST is tolerated.
	Host string

	// DisableEPSV goes straight to PASV, for servers whose EPSV is broken.
	DisableEPSV bool
	// PassiveAddress chooses where PASV data connections go.
	PassiveAddress PassiveAddressPolicy
	// Active, when non-nil, switches to active mode.
	Active *ActiveConfig

	// TLS chooses plain FTP, explicit or implicit TLS.
	TLS TLSMode
	// TLSConfig configures TLS for the control and data connections. Nil
	// means a config that verifies the server's certificate against the
	// system roots for the dialled host name. The ServerName, when empty, is
	// taken from the dialled address. Each Conn keeps its own TLS sessions,
	// so that its data connections resume its control connection's session
	// (vsftpd and proftpd insist); a ClientSessionCache given here serves
	// only the control connection's handshake and learns the sessions, so
	// one cache may be shared by many connections.
	// SessionTicketsDisabled turns resumption off altogether.
	TLSConfig *tls.Config
	// ClearData sends PROT C: data connections stay in plain text while the
	// control connection is protected.
	ClearData bool
	// ClearControl sends CCC after login: the control connection returns to
	// plain text (for NAT devices that must read PORT/PASV); data stays
	// protected as PROT chose.
	ClearControl bool

	// RateLimiter, when set, caps the bytes per second of the file
	// transfers (RETR, STOR, APPE, STOU) of every connection made with this
	// Config, together: a Pool's connections share it, and so split its
	// rate. Listings are not limited. A Reader or Writer may add a limit of
	// its own with SetRateLimit.
	RateLimiter *RateLimiter

	// KeepAlive, when positive, sends NOOP on the control connection at
	// this interval while a transfer's data flows, for firewalls and NAT
	// that drop idle connections. Zero (the default) sends none.
	KeepAlive time.Duration

	// DisableUTF8 keeps the client from sending OPTS UTF8 ON.
	DisableUTF8 bool
	// DisableMLSD makes List use LIST even when MLSD is advertised.
	DisableMLSD bool
	// Location is the time zone of times in LIST output. Nil means UTC.
	Location *time.Location
}

// Clone returns a copy of c that may be changed without affecting c.
func (c *Config) Clone() *Config {
	if c == nil {
		return &Config{}
	}
	n := *c
	if c.Active != nil {
		a := *c.Active
		n.Active = &a
	}
	if c.TLSConfig != nil {
		n.TLSConfig = c.TLSConfig.Clone()
	}
	return &n
}

func (c *Config) dialTimeout() time.Duration {
	if c.DialTimeout > 0 {
		return c.DialTimeout
	}
	return DefaultDialTimeout
}

func (c *Config) replyTimeout() time.Duration {
	switch {
	case c.ReplyTimeout > 0:
		return c.ReplyTimeout
	case c.ReplyTimeout < 0:
		return 0
	}
	return DefaultReplyTimeout
}

func (c *Config) dataTimeout() time.Duration {
	switch {
	case c.DataTimeout > 0:
		return c.DataTimeout
	case c.DataTimeout < 0:
		return 0
	}
	return DefaultDataTimeout
}

func (c *Config) location() *time.Location {
	if c.Location != nil {
		return c.Location
	}
	return time.UTC
}

func (c *Config) credentials() (user, pass string) {
	if c.User == "" {
		if c.Password != "" {
			return anonymousUser, c.Password
		}
		return anonymousUser, anonymousPassword
	}
	return c.User, c.Password
}

func (a *ActiveConfig) acceptTimeout() time.Duration {
	if a.AcceptTimeout > 0 {
		return a.AcceptTimeout
	}
	return DefaultAcceptTimeout
}

// dial opens a connection with the configured dialer, bounded by DialTimeout.
func (c *Config) dial(ctx context.Context, addr string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, c.dialTimeout())
	defer cancel()
	if c.DialContext != nil {
		return c.DialContext(ctx, "tcp", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

// dialData opens a data connection as dial does, without TCP keepalive
// on the default dialer: DataTimeout already bounds a data connection
// that stalls, and the four setsockopt calls per transfer are saved.
func (c *Config) dialData(ctx context.Context, addr string) (net.Conn, error) {
	if c.DialContext != nil {
		return c.dial(ctx, addr)
	}
	ctx, cancel := context.WithTimeout(ctx, c.dialTimeout())
	defer cancel()
	d := net.Dialer{KeepAlive: -1}
	return d.DialContext(ctx, "tcp", addr)
}
