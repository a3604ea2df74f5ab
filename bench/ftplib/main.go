// Command ftplib is the benchmark's client on package ftp for what ftpc has
// no command for: many files on one connection. It logs in once and
// uploads (mput) or downloads (mget) the named files one after another
// with Conn.Store and Conn.Retrieve, between *os.File and the data
// connection, as an application on the library would. The benchmark
// labels it "ftp (library)".
//
//	ftplib [flags] mput LOCALDIR REMOTEDIR NAME...
//	ftplib [flags] mget REMOTEDIR LOCALDIR NAME...
//	ftplib [flags] ls REMOTEDIR      (Conn.ListSeq: each entry printed as parsed)
//
// flags: -addr host:port, -user U (password from $FTP_PASSWORD), -tls
// (explicit, AUTH TLS) and -cacert FILE.
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"time"

	ftp "github.com/seed362563c3/ftp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:21", "server `host:port`")
	user := flag.String("user", "anonymous", "user name (password from $FTP_PASSWORD)")
	useTLS := flag.Bool("tls", false, "explicit TLS (AUTH TLS)")
	cacert := flag.String("cacert", "", "PEM `file` of trusted certificates")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *addr, *user, *useTLS, *cacert, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "ftplib:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, addr, user string, useTLS bool, cacert string, args []string) error {
	if len(args) < 2 {
		return errors.New("usage: ftplib [flags] mput|mget|ls ARGS")
	}
	cfg := &ftp.Config{User: user, Password: os.Getenv("FTP_PASSWORD"), DialTimeout: 30 * time.Second}
	if useTLS {
		cfg.TLS = ftp.TLSExplicit
		cfg.TLSConfig = &tls.Config{}
		if cacert != "" {
			pemBytes, err := os.ReadFile(cacert)
			if err != nil {
				return err
			}
			cfg.TLSConfig.RootCAs = x509.NewCertPool()
			if !cfg.TLSConfig.RootCAs.AppendCertsFromPEM(pemBytes) {
				return fmt.Errorf("%s: no PEM certificate", cacert)
			}
		}
	}
	c, err := ftp.Dial(ctx, addr, cfg)
	if err != nil {
		return err
	}
	switch args[0] {
	case "mput":
		if len(args) < 4 {
			return errors.New("mput LOCALDIR REMOTEDIR NAMES")
		}
		for _, name := range args[3:] {
			if err = put(ctx, c, filepath.Join(args[1], name), args[2]+"/"+name); err != nil {
				break
			}
		}
	case "mget":
		if len(args) < 4 {
			return errors.New("mget REMOTEDIR LOCALDIR NAMES")
		}
		for _, name := range args[3:] {
			if err = get(ctx, c, args[1]+"/"+name, filepath.Join(args[2], name)); err != nil {
				break
			}
		}
	case "ls":
		err = list(ctx, c, args[1])
	default:
		err = fmt.Errorf("unknown command %q", args[0])
	}
	return errors.Join(err, c.Close())
}

func put(ctx context.Context, c *ftp.Conn, local, remote string) error {
	f, err := os.Open(local)
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := c.Store(ctx, remote)
	if err != nil {
		return err
	}
	_, err = w.Send(f)
	return err
}

func get(ctx context.Context, c *ftp.Conn, remote, local string) error {
	r, err := c.Retrieve(ctx, remote)
	if err != nil {
		return err
	}
	f, err := os.Create(local)
	if err != nil {
		r.Close()
		return err
	}
	_, err = io.Copy(f, r)
	return errors.Join(err, r.Close(), f.Close())
}

// list prints each entry as ftpc ls prints it (type, size, time, name),
// as it is parsed, in the server's order: what ftpc ls does on ListSeq.
func list(ctx context.Context, c *ftp.Conn, dir string) error {
	w := bufio.NewWriterSize(os.Stdout, 64<<10)
	var line []byte
	var errs []error
	for e, err := range c.ListSeq(ctx, dir, nil) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		line = appendEntry(line[:0], e)
		w.Write(line)
	}
	return errors.Join(append(errs, w.Flush())...)
}

func appendEntry(b []byte, e *ftp.Entry) []byte {
	switch e.Type {
	case ftp.EntryDir:
		b = append(b, 'd')
	case ftp.EntryFile:
		b = append(b, '-')
	case ftp.EntryLink:
		b = append(b, 'l')
	default:
		b = append(b, '?')
	}
	size := "-"
	if e.Size >= 0 {
		size = strconv.FormatInt(e.Size, 10)
	}
	b = append(b, ' ')
	for range 12 - len(size) {
		b = append(b, ' ')
	}
	b = append(b, size...)
	b = append(b, ' ')
	n := len(b)
	if e.ModTime.IsZero() {
		b = append(b, '-')
	} else {
		b = e.ModTime.UTC().AppendFormat(b, time.RFC3339)
	}
	for len(b)-n < 20 {
		b = append(b, ' ')
	}
	b = append(b, ' ')
	b = append(b, e.Name...)
	if e.Type == ftp.EntryLink && e.Target != "" {
		b = append(b, " -> "...)
		b = append(b, e.Target...)
	}
	return append(b, '\n')
}
