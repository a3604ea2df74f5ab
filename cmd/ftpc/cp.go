// ftpc cp: a copy from one server to another, straight between them (FXP)
// where both allow it, through this machine otherwise.

package main

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	ftp "github.com/seed362563c3/ftp"
)

// jsonCopy is cp's result with --json.
type jsonCopy struct {
	Op      string  `json:"op"` // cp
	From    string  `json:"from"`
	To      string  `json:"to"`
	Size    int64   `json:"size"`    // what the destination holds, -1 when unknown
	Method  string  `json:"method"`  // fxp, or relay (through this machine)
	Seconds float64 `json:"seconds"` // wall time of the copy
}

func cmdCopy(ctx context.Context, s *session, args []string) error {
	st, err := parseURL(args[0])
	if err != nil {
		return err
	}
	srcPath, err := needPath(st, "file")
	if err != nil {
		return err
	}
	if strings.HasSuffix(srcPath, "/") {
		return usagef("cp: %s names a directory; cp copies one file", args[0])
	}
	dt, err := parseURL(args[1])
	if err != nil {
		return err
	}
	dstPath := dt.path
	if dstPath == "" || strings.HasSuffix(dstPath, "/") {
		dstPath += path.Base(srcPath)
	}
	scfg, err := s.config(st)
	if err != nil {
		return err
	}
	dcfg, err := s.config(dt)
	if err != nil {
		return err
	}
	// Through this machine the upload sends what the download brings: the
	// download's pace is the copy's, and a limiter shared by both would
	// count every byte twice.
	dcfg.RateLimiter = nil
	src, err := ftp.Dial(ctx, st.addr, scfg)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := ftp.Dial(ctx, dt.addr, dcfg)
	if err != nil {
		return err
	}
	defer dst.Close()

	start := time.Now()
	method := "fxp"
	n, err := ftp.FXP(ctx, dst, dstPath, src, srcPath)
	if err != nil && (errors.Is(err, ftp.ErrFXPRefused) || errors.Is(err, ftp.ErrNotSupported)) && !s.opts.fxpOnly {
		fmt.Fprintf(s.stderr, "ftpc: cp: %s\nftpc: cp: copying through this machine instead (--fxp-only forbids it)\n", oneLine(err.Error()))
		method = "relay"
		// A refusal may have ended a session (a 421): log in again where so.
		if src, err = usableConn(ctx, src, st.addr, scfg); err != nil {
			return err
		}
		defer src.Close()
		if dst, err = usableConn(ctx, dst, dt.addr, dcfg); err != nil {
			return err
		}
		defer dst.Close()
		n, err = relay(ctx, dst, dstPath, src, srcPath)
	}
	if err != nil {
		return err
	}
	if s.opts.json {
		return writeJSON(s.stdout, jsonCopy{Op: "cp", From: srcPath, To: dstPath, Size: n, Method: method,
			Seconds: time.Since(start).Seconds()})
	}
	how := "server to server (FXP)"
	if method == "relay" {
		how = "through this machine"
	}
	size := "an unknown number of"
	if n >= 0 {
		size = fmt.Sprint(n)
	}
	fmt.Fprintf(s.stdout, "cp: %s bytes copied %s to %s\n", size, how, dstPath)
	return nil
}

// usableConn returns c when it still answers, or a new session.
func usableConn(ctx context.Context, c *ftp.Conn, addr string, cfg *ftp.Config) (*ftp.Conn, error) {
	if c.NoOp(ctx) == nil {
		return c, nil
	}
	c.Close()
	return ftp.Dial(ctx, addr, cfg)
}

// relay copies srcPath to dstPath through this machine: a download
// streamed into an upload, the length checked against SIZE on both ends.
func relay(ctx context.Context, dst *ftp.Conn, dstPath string, src *ftp.Conn, srcPath string) (int64, error) {
	size, serr := src.Size(ctx, srcPath)
	if serr != nil {
		size = -1
	}
	r, err := src.Retrieve(ctx, srcPath)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	if size >= 0 {
		r.ExpectSize(size)
	}
	w, err := dst.Store(ctx, dstPath)
	if err != nil {
		return 0, err
	}
	n, err := w.Send(r)
	if err != nil {
		var se *ftp.SourceError
		if errors.As(err, &se) {
			return n, se.Err // the download's failure, not the upload's
		}
		return n, err
	}
	if err := r.Close(); err != nil {
		return n, err
	}
	got, err := dst.Size(ctx, dstPath)
	switch {
	case err != nil:
		return n, nil // the destination cannot say: both 226 and the read length stand
	case got != n:
		return got, &ftp.LengthError{Command: "STOR " + dstPath, Want: n, Got: got, Source: "bytes sent"}
	}
	return got, nil
}
