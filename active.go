// Active data connections: the client listens, announces itself with EPRT
// (RFC 2428) or PORT, and accepts only the control connection's peer.

package ftp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// maxForeignShown is how many refused foreign peers an error names; it
// counts the rest.
const maxForeignShown = 3

// listenActive opens the listener for one active transfer.
func (c *Conn) listenActive(ctx context.Context) (*net.TCPListener, error) {
	if c.proxied {
		return nil, ErrActiveThroughProxy
	}
	a := c.cfg.Active
	ip := a.ListenAddr
	if ip == "" {
		host, _, err := net.SplitHostPort(c.nc.LocalAddr().String())
		if err != nil {
			return nil, fmt.Errorf("ftp: active mode: local address: %w", err)
		}
		ip = host
	}
	var lc net.ListenConfig
	if a.PortMin <= 0 && a.PortMax <= 0 {
		l, err := lc.Listen(ctx, "tcp", net.JoinHostPort(ip, "0"))
		if err != nil {
			return nil, fmt.Errorf("ftp: active mode: %w", err)
		}
		return l.(*net.TCPListener), nil
	}
	lo, hi := a.PortMin, a.PortMax
	if lo <= 0 || hi < lo || hi > 65535 {
		return nil, fmt.Errorf("ftp: active mode: %w: port range %d-%d", ErrInvalidArgument, lo, hi)
	}
	var lastErr error
	// Start at a point that moves with time so that consecutive transfers do
	// not all fight for the lowest port still in TIME_WAIT.
	n := hi - lo + 1
	first := int(time.Now().UnixNano() % int64(n))
	for i := range n {
		port := lo + (first+i)%n
		l, err := lc.Listen(ctx, "tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err == nil {
			return l.(*net.TCPListener), nil
		}
		lastErr = err
	}
	return nil, fmt.Errorf("ftp: active mode: no free port in %d-%d: %w", lo, hi, lastErr)
}

// announceActive sends EPRT, or PORT when EPRT is not understood, for l.
func (c *Conn) announceActive(ctx context.Context, l *net.TCPListener) error {
	port := l.Addr().(*net.TCPAddr).Port
	ip := l.Addr().(*net.TCPAddr).IP
	if adv := c.cfg.Active.AdvertiseAddr; adv != "" {
		ip = net.ParseIP(adv)
		if ip == nil {
			return fmt.Errorf("ftp: active mode: %w: advertised address %q is not an IP", ErrInvalidArgument, adv)
		}
	}
	return c.announce(ctx, ip, port)
}

// announce sends EPRT for ip and port, or PORT when EPRT is not understood.
func (c *Conn) announce(ctx context.Context, ip net.IP, port int) error {
	v4 := ip.To4()
	if !c.eprtOff {
		proto, host := "2", ip.String()
		if v4 != nil {
			proto, host = "1", v4.String()
		}
		_, err := c.cmd(ctx, "EPRT", fmt.Sprintf("|%s|%s|%d|", proto, host, port), 2)
		if err == nil {
			return nil
		}
		var fe *Error
		if !errors.As(err, &fe) || fe.Code/100 != 5 || v4 == nil {
			return err
		}
		c.eprtOff = true
	}
	if v4 == nil {
		return fmt.Errorf("ftp: PORT: %w: an IPv6 address needs EPRT", ErrNotSupported)
	}
	arg := fmt.Sprintf("%d,%d,%d,%d,%d,%d", v4[0], v4[1], v4[2], v4[3], port>>8, port&0xff)
	_, err := c.cmd(ctx, "PORT", arg, 2)
	return err
}

// acceptActive waits for the server's data connection. Connections from
// any other host are closed and the wait goes on until the deadline.
func (c *Conn) acceptActive(ctx context.Context, l *net.TCPListener) (net.Conn, error) {
	deadline := time.Now().Add(c.cfg.Active.acceptTimeout())
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	l.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { l.SetDeadline(aLongTimeAgo) })
	defer stop()
	var foreign []string // the first few, for the error
	refused := 0
	for {
		nc, err := l.AcceptTCP()
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("ftp: active data connection: %w", ctx.Err())
			}
			if refused > 0 {
				from := strings.Join(foreign, ", ")
				if refused > len(foreign) {
					from += fmt.Sprintf(" and %d more", refused-len(foreign))
				}
				return nil, dataConnErrorf(ErrForeignDataConnection, "%v: %d from %s", ErrForeignDataConnection, refused, from)
			}
			return nil, dataConnErrorf(err, "ftp: active data connection: %v", err)
		}
		if ip := nc.RemoteAddr().(*net.TCPAddr).IP; ip.Equal(c.peer) {
			return nc, nil
		}
		if len(foreign) < maxForeignShown {
			foreign = append(foreign, nc.RemoteAddr().String())
		}
		refused++
		if c.cfg.Logger != nil && refused <= maxForeignShown {
			c.cfg.Logger.Warn("ftp refused foreign data connection", "from", nc.RemoteAddr().String())
		}
		nc.Close()
	}
}
