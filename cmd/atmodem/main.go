// Command atmodem is a virtual cellular module: it serves the AT+QFTP*
// (Quectel) or AT+FTP* (Luat) command set of package atbridge on a
// pseudo-terminal, on standard input and output, or on a TCP port, and
// carries out the FTP commands against real servers.
//
//	atmodem [--dialect quectel|luat]                 # a pseudo-terminal; prints its /dev/pts path
//	atmodem --stdio [--dialect ...]                  # standard input and output
//	atmodem --listen 127.0.0.1:7000 [--dialect ...]  # TCP, like a serial-over-TCP bridge
//
// Point picocom, minicom or the driver under test at the printed path
// (picocom /dev/pts/5), or connect to the TCP port. Each TCP connection is
// a modem of its own. The pseudo-terminal stays in raw mode: bytes pass
// unchanged, as on a serial line.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/seed362563c3/ftp/atbridge"
	"golang.org/x/sys/unix"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "atmodem:", err)
		os.Exit(1)
	}
}

// config is what the flags say.
type config struct {
	dialect atbridge.Dialect
	stdio   bool
	listen  string
	opts    atbridge.Options
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("atmodem", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dialect := fs.String("dialect", "quectel", "command set: quectel (AT+QFTP*) or luat (AT+FTP*)")
	stdio := fs.Bool("stdio", false, "serve standard input and output instead of a pseudo-terminal")
	listen := fs.String("listen", "", "serve TCP connections on this address (host:port) instead of a pseudo-terminal")
	noEcho := fs.Bool("no-echo", false, "start with echo off (ATE0)")
	guard := fs.Duration("escape-guard", time.Second, `guard time of the "+++" escape`)
	luatContext := fs.String("luat-context", defaultContextFile(), "file where AT+FTPSCONT saves the Luat FTP context (empty: memory only)")
	cacert := fs.String("cacert", "", "PEM file of the CAs trusted for FTPS (default: the system's)")
	bearerIP := fs.String("bearer-ip", "", "address reported for an active PDP context or bearer")
	debug := fs.Bool("debug", false, "log the FTP control dialogue to standard error")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: atmodem [--dialect quectel|luat] [--stdio | --listen host:port] [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	d, err := atbridge.ParseDialect(*dialect)
	if err != nil {
		return nil, err
	}
	if *stdio && *listen != "" {
		return nil, errors.New("--stdio and --listen exclude each other")
	}
	if *guard <= 0 {
		return nil, errors.New("--escape-guard must be positive")
	}
	c := &config{dialect: d, stdio: *stdio, listen: *listen}
	c.opts = atbridge.Options{
		NoEcho:          *noEcho,
		EscapeGuard:     *guard,
		LuatContextFile: *luatContext,
		BearerIP:        *bearerIP,
	}
	if *cacert != "" {
		pem, err := os.ReadFile(*cacert)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificate", *cacert)
		}
		c.opts.TLSConfig = &tls.Config{RootCAs: pool}
	}
	if *debug {
		c.opts.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if *luatContext != "" {
		if err := os.MkdirAll(filepath.Dir(*luatContext), 0o700); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// defaultContextFile is where AT+FTPSCONT saves by default.
func defaultContextFile() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "atmodem", "luat-context.json")
}

// run serves until SIGINT or SIGTERM, or until standard input ends with
// --stdio.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch {
	case c.stdio:
		return serveStdio(ctx, c, stdin, stdout)
	case c.listen != "":
		return serveTCP(ctx, c, stdout, stderr)
	default:
		return servePTY(ctx, c, stdout)
	}
}

func serveStdio(ctx context.Context, c *config, stdin io.Reader, stdout io.Writer) error {
	err := atbridge.New(c.dialect, c.opts).Serve(ctx, stdin, stdout)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// serveTCP gives each connection a modem of its own.
func serveTCP(ctx context.Context, c *config, stdout, stderr io.Writer) error {
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", c.listen)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, l.Addr().String())
	go func() {
		<-ctx.Done()
		l.Close()
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		conn, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conn.Close()
			stop := context.AfterFunc(ctx, func() { conn.Close() })
			defer stop()
			if err := atbridge.New(c.dialect, c.opts).Serve(ctx, conn, conn); err != nil && ctx.Err() == nil {
				fmt.Fprintf(stderr, "atmodem: %s: %v\n", conn.RemoteAddr(), err)
			}
		}()
	}
}

// servePTY serves the master side of a new pseudo-terminal and prints the
// path of its slave side.
func servePTY(ctx context.Context, c *config, stdout io.Writer) error {
	master, slave, path, err := openPTY()
	if err != nil {
		return err
	}
	// The slave stays open here: without it, the master reads EIO each
	// time the last client closes the terminal.
	defer slave.Close()
	defer master.Close()
	fmt.Fprintln(stdout, path)
	stopClose := context.AfterFunc(ctx, func() { master.Close() })
	defer stopClose()
	err = atbridge.New(c.dialect, c.opts).Serve(ctx, master, master)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// openPTY opens a new pseudo-terminal: /dev/ptmx, unlocked (TIOCSPTLCK),
// its slave named by TIOCGPTN and set to raw mode.
func openPTY() (master, slave *os.File, path string, err error) {
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, "", err
	}
	defer func() {
		if err != nil {
			master.Close()
		}
	}()
	rc, err := master.SyscallConn()
	if err != nil {
		return nil, nil, "", err
	}
	var n uint32
	var ioctlErr error
	err = rc.Control(func(fd uintptr) {
		if ioctlErr = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); ioctlErr != nil {
			return
		}
		n, ioctlErr = unix.IoctlGetUint32(int(fd), unix.TIOCGPTN)
	})
	if err == nil {
		err = ioctlErr
	}
	if err != nil {
		return nil, nil, "", fmt.Errorf("pseudo-terminal: %w", err)
	}
	path = fmt.Sprintf("/dev/pts/%d", n)
	slave, err = os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, "", err
	}
	if err = makeRaw(slave); err != nil {
		slave.Close()
		return nil, nil, "", fmt.Errorf("pseudo-terminal: raw mode: %w", err)
	}
	return master, slave, path, nil
}

// makeRaw sets a terminal to raw mode, as cfmakeraw(3) does: no line
// editing, echo, signals or CR/LF translation; 8-bit bytes.
func makeRaw(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ioctlErr error
	err = rc.Control(func(fd uintptr) {
		t, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		if err != nil {
			ioctlErr = err
			return
		}
		t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
		t.Oflag &^= unix.OPOST
		t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		t.Cflag &^= unix.CSIZE | unix.PARENB
		t.Cflag |= unix.CS8
		t.Cc[unix.VMIN] = 1
		t.Cc[unix.VTIME] = 0
		ioctlErr = unix.IoctlSetTermios(int(fd), unix.TCSETS, t)
	})
	if err != nil {
		return err
	}
	return ioctlErr
}
