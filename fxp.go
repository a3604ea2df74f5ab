// FXP: a copy from one server to another that the client only directs,
// passive on the destination, active on the source.

package ftp

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"strconv"
)

// ErrFXPRefused is matched (errors.Is) by an *FXPError whose server would
// not take part: it refused a data address other than its client's, or
// the data connection between the two servers failed. Copying through the
// client (a download, then an upload) then still works.
var ErrFXPRefused = errors.New("server-to-server copy refused")

// FXPError says which server stopped a server-to-server copy (FXP), and
// why. Its message names the settings that allow FXP on common servers.
type FXPError struct {
	Side string // "source" or "destination"
	Addr string // the server's address as dialled
	Err  error  // the reply or failure; an *Error for a refusal
	// Refused is true when the server would not send data to, or take
	// it from, the other server (as opposed to a missing file, say).
	Refused bool
}

func (e *FXPError) Error() string {
	if !e.Refused {
		return fmt.Sprintf("ftp: FXP: %s server %s: %v", e.Side, e.Addr, e.Err)
	}
	hint := "pasv_promiscuous=YES for vsftpd, AllowForeignAddress on for proftpd, -w (--allowuserfxp) for pure-ftpd"
	if e.Side == "source" {
		hint = "port_promiscuous=YES for vsftpd, AllowForeignAddress on for proftpd, -w (--allowuserfxp) for pure-ftpd"
	}
	return fmt.Sprintf("ftp: FXP: the %s server %s refused to exchange data with the other server (%v); servers allow it only when configured to (%s)",
		e.Side, e.Addr, e.Err, hint)
}

func (e *FXPError) Unwrap() error { return e.Err }

// Is matches ErrFXPRefused when Refused is set.
func (e *FXPError) Is(target error) bool { return target == ErrFXPRefused && e.Refused }

// FXP copies srcPath on the server of src to dstPath on the server of
// dst, the data going straight from one server to the other: dst opens a
// passive port (EPSV, or PASV), src is told to connect to it (EPRT, or
// PORT), then dst receives (STOR) what src sends (RETR). It returns the
// size of the copy, proven as a download's is: both servers confirmed the
// transfer, and the size of dstPath (SIZE) equals that of srcPath; a
// server without SIZE leaves only the confirmations.
//
// The address src is given is the destination's control-connection peer
// (or the address its 227 reply names, under PassiveServerAddress), so
// both servers must reach each other at the addresses the client uses.
// Most servers refuse by default to exchange data with a host other than
// their client: the error, an *FXPError matching ErrFXPRefused, then
// names the setting that allows it, and a download then upload through
// the client is the fallback. Data protected by TLS (PROT P) is not
// supported (it needs SSCN, which few servers have): use ClearData.
//
// FXP holds both connections until it returns; ctx alone bounds the wait
// for the copy to finish, since the client sees none of its data.
func FXP(ctx context.Context, dst *Conn, dstPath string, src *Conn, srcPath string) (int64, error) {
	switch {
	case dst == src:
		return 0, fmt.Errorf("ftp: FXP: %w: source and destination are one connection", ErrInvalidArgument)
	case dstPath == "" || srcPath == "":
		return 0, fmt.Errorf("ftp: FXP: %w: empty path", ErrInvalidArgument)
	}
	for _, c := range []*Conn{dst, src} {
		if err := c.usable(); err != nil {
			return 0, err
		}
		if c.protData {
			return 0, fmt.Errorf("ftp: FXP: %w: the data connections are protected by TLS (PROT P); set ClearData to copy between servers", ErrNotSupported)
		}
	}
	if err := validateArg("RETR", srcPath); err != nil {
		return 0, err
	}
	if err := validateArg("STOR", dstPath); err != nil {
		return 0, err
	}
	size, err := src.Size(ctx, srcPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0, err
	case err != nil:
		if src.usable() != nil {
			return 0, err
		}
		size = -1 // no SIZE: the confirmations alone must do
	}
	for _, c := range []*Conn{dst, src} {
		if err := c.setType(ctx, TypeBinary); err != nil {
			return 0, err
		}
	}
	for _, p := range []struct {
		c   *Conn
		arg string
	}{{src, srcPath}, {dst, dstPath}} {
		if err := p.c.prepareArg(ctx, p.arg); err != nil {
			return 0, err
		}
	}

	ip, port, err := dst.fxpListen(ctx)
	if err != nil {
		return 0, &FXPError{Side: "destination", Addr: dst.nc.RemoteAddr().String(), Err: err}
	}
	if err := src.announce(ctx, ip, port); err != nil {
		var fe *Error
		return 0, &FXPError{Side: "source", Addr: src.nc.RemoteAddr().String(), Err: err, Refused: errors.As(err, &fe)}
	}
	if err := dst.copyFrom(ctx, dstPath, src, srcPath); err != nil {
		return 0, err
	}
	if size < 0 {
		n, err := dst.Size(ctx, dstPath)
		if err != nil {
			return -1, nil // neither server can say: the confirmations stand
		}
		return n, nil
	}
	got, err := dst.Size(ctx, dstPath)
	switch {
	case err != nil && dst.usable() != nil:
		return 0, err
	case err != nil:
		return size, nil
	case got != size:
		return got, &LengthError{Command: "FXP " + srcPath + " to " + dstPath, Want: size, Got: got, Source: "source's SIZE"}
	}
	return got, nil
}

// fxpListen has dst open a passive port and returns the address the
// source server is to connect to.
func (c *Conn) fxpListen(ctx context.Context) (net.IP, int, error) {
	addrs, err := c.passiveAddrs(ctx)
	if err != nil {
		return nil, 0, err
	}
	host, ps, err := net.SplitHostPort(addrs[0])
	if err != nil {
		return nil, 0, err
	}
	port, _ := strconv.Atoi(ps)
	if ip := net.ParseIP(host); ip != nil && !c.proxied {
		return ip, port, nil
	}
	if c.proxied {
		// Through a proxy the peer is the proxy; the server is the host
		// the proxy was asked for.
		ips, err := net.DefaultResolver.LookupIP(ctx, "ip", host)
		if err != nil || len(ips) == 0 {
			return nil, 0, fmt.Errorf("ftp: FXP: resolving %s for the source server: %w", host, err)
		}
		return ips[0], port, nil
	}
	return c.peer, port, nil
}

// copyFrom runs the two transfer commands of FXP once the addresses are
// set: STOR on c (the destination, listening), RETR on src, and reads
// both servers' replies. On failure both transfers are aborted, leaving
// the connections usable where the servers answer.
func (c *Conn) copyFrom(ctx context.Context, dstPath string, src *Conn, srcPath string) error {
	dstLine, srcLine := logLine("STOR", dstPath), logLine("RETR", srcPath)
	dst := c
	fail := func(side string, conn *Conn, err error, refused bool) error {
		return &FXPError{Side: side, Addr: conn.nc.RemoteAddr().String(), Err: err, Refused: refused}
	}

	if err := dst.send(ctx, "STOR", dstPath); err != nil {
		return fail("destination", dst, err, false)
	}
	if err := src.send(ctx, "RETR", srcPath); err != nil {
		dst.abortCommand(ctx, dstLine, false)
		return fail("source", src, err, false)
	}
	// The source answers first: it connects, then says 150, or says why
	// it could not. The destination may wait for the connection before
	// its 150, so it is read second.
	sr, err := src.readReply(ctx, srcLine)
	if err != nil {
		dst.abortCommand(ctx, dstLine, false)
		return fail("source", src, err, false)
	}
	if sr.Class() != 1 {
		dst.abortCommand(ctx, dstLine, false)
		e := &Error{Command: srcLine, Code: sr.Code, Msg: sr.Message}
		return fail("source", src, e, dataRefusal(sr.Code))
	}
	dr, err := dst.readReply(ctx, dstLine)
	if err != nil {
		src.abortCommand(ctx, srcLine, false)
		return fail("destination", dst, err, false)
	}
	if dr.Class() != 1 {
		src.abortCommand(ctx, srcLine, false)
		e := &Error{Command: dstLine, Code: dr.Code, Msg: dr.Message}
		return fail("destination", dst, e, dataRefusal(dr.Code))
	}
	// The copy runs; the client sees none of it, so only ctx bounds the
	// wait for the source's verdict. The destination's follows at once.
	if _, err := src.readFinalWithin(ctx, srcLine, 0); err != nil {
		dst.abortCommand(ctx, dstLine, false)
		var fe *Error
		return fail("source", src, err, errors.As(err, &fe) && dataRefusal(fe.Code))
	}
	if _, err := dst.readFinal(ctx, dstLine); err != nil {
		var fe *Error
		return fail("destination", dst, err, errors.As(err, &fe) && dataRefusal(fe.Code))
	}
	return nil
}

// dataRefusal reports whether code says the data connection could not be
// made or was cut (425, 426), as when a server refuses a foreign peer:
// vsftpd's "425 Security: Bad IP connecting".
func dataRefusal(code int) bool {
	return code == StatusCanNotOpenDataConnection || code == StatusTransferAborted
}
