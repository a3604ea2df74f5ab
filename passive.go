// Passive data connections: EPSV (RFC 2428) first, PASV as the remembered fallback.

package ftp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// parseEPSV reads the port from a 229 reply text: "(|||port|)", where the
// delimiter may be any printable character (RFC 2428 section 3).
func parseEPSV(msg string) (int, error) {
	start := strings.IndexByte(msg, '(')
	end := strings.LastIndexByte(msg, ')')
	if start < 0 || end < start+6 {
		return 0, &ProtocolError{Command: "EPSV", Reason: "229 reply without (|||port|)", Line: shorten(msg)}
	}
	inner := msg[start+1 : end]
	d := inner[0]
	if d < 33 || d > 126 || len(inner) < 5 || inner[1] != d || inner[2] != d || inner[len(inner)-1] != d {
		return 0, &ProtocolError{Command: "EPSV", Reason: "229 reply with malformed delimiters", Line: shorten(msg)}
	}
	port, err := strconv.Atoi(inner[3 : len(inner)-1])
	if err != nil || port < 1 || port > 65535 {
		return 0, &ProtocolError{Command: "EPSV", Reason: "229 reply with a bad port", Line: shorten(msg)}
	}
	return port, nil
}

// parsePASV reads h1,h2,h3,h4,p1,p2 from a 227 reply text. The numbers are
// usually in parentheses, but some servers leave them bare, so the first run
// of six comma-separated numbers is taken.
func parsePASV(msg string) (net.IP, int, error) {
	bad := func(reason string) (net.IP, int, error) {
		return nil, 0, &ProtocolError{Command: "PASV", Reason: "227 reply " + reason, Line: shorten(msg)}
	}
	i := strings.IndexAny(msg, "0123456789")
	if start := strings.IndexByte(msg, '('); start >= 0 {
		i = start + 1
	}
	if i < 0 {
		return bad("without an address")
	}
	j := i
	for j < len(msg) && (msg[j] >= '0' && msg[j] <= '9' || msg[j] == ',' || msg[j] == ' ') {
		j++
	}
	fields := strings.Split(strings.ReplaceAll(msg[i:j], " ", ""), ",")
	if len(fields) != 6 {
		return bad("without six numbers")
	}
	var n [6]int
	for k, f := range fields {
		v, err := strconv.Atoi(f)
		if err != nil || v < 0 || v > 255 || len(f) > 3 {
			return bad("with a number out of range")
		}
		n[k] = v
	}
	port := n[4]<<8 | n[5]
	if port == 0 {
		return bad("with port 0")
	}
	return net.IPv4(byte(n[0]), byte(n[1]), byte(n[2]), byte(n[3])), port, nil
}

// passiveAddrs asks the server for a passive port and returns the addresses
// to try, in order.
func (c *Conn) passiveAddrs(ctx context.Context) ([]string, error) {
	peer := c.dataHost
	// The server's IP, when known: nil when dataHost is a name.
	server := net.ParseIP(peer)
	if !c.epsvOff && !c.cfg.DisableEPSV {
		r, err := c.cmd(ctx, "EPSV", "", StatusExtendedPassiveMode)
		if err == nil {
			port, perr := parseEPSV(r.Message)
			if perr != nil {
				c.abandon(perr)
				return nil, perr
			}
			return []string{net.JoinHostPort(peer, strconv.Itoa(port))}, nil
		}
		var fe *Error
		if !errors.As(err, &fe) || c.usable() != nil {
			return nil, err
		}
		// 500/501/502 and the like, or an answer that is not 229 at all
		// (a 314, a 200): this server has no working EPSV. PASV from now
		// on, as curl does.
		c.epsvOff = true
	}
	if server != nil && server.To4() == nil {
		return nil, fmt.Errorf("ftp: PASV: %w: IPv6 control connection needs EPSV", ErrNotSupported)
	}
	r, err := c.cmd(ctx, "PASV", "", StatusPassiveMode)
	if err != nil {
		return nil, err
	}
	ip, port, err := parsePASV(r.Message)
	if err != nil {
		c.abandon(err)
		return nil, err
	}
	ps := strconv.Itoa(port)
	control := net.JoinHostPort(peer, ps)
	named := net.JoinHostPort(ip.String(), ps)
	switch {
	case c.cfg.PassiveAddress == PassiveServerAddress && !ip.IsUnspecified():
		return []string{named}, nil
	case c.cfg.PassiveAddress == PassiveControlPeerThenServer && !ip.Equal(server) && !ip.IsUnspecified():
		return []string{control, named}, nil
	default:
		if !ip.Equal(server) && c.cfg.Logger != nil {
			c.cfg.Logger.Debug("ftp ignoring PASV address", "named", named, "using", control)
		}
		return []string{control}, nil
	}
}

// dialData connects to the first address that answers.
func (c *Conn) dialData(ctx context.Context, addrs []string) (net.Conn, error) {
	var errs []error
	for _, a := range addrs {
		nc, err := c.cfg.dialData(ctx, a)
		if err == nil {
			return nc, nil
		}
		errs = append(errs, err)
	}
	err := errors.Join(errs...)
	return nil, dataConnErrorf(err, "ftp: data connection: %v", err)
}
