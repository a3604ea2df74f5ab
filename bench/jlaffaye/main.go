// Command ftpjl is the benchmark's client on github.com/jlaffaye/ftp, a
// peer of ftpc: it lives in a module of its own so that the library does
// not depend on jlaffaye/ftp. It uses the library the way its README does:
// Dial, Login, then Retr/Stor with io.Copy between the stream and a file;
// over TLS its tls.Config has a session cache, so that data connections
// resume the control connection's session as ftpc's do.
//
//	ftpjl [flags] get REMOTE LOCAL
//	ftpjl [flags] put LOCAL REMOTE
//	ftpjl [flags] ls REMOTE             (entries counted, not printed)
//	ftpjl [flags] mput LOCALDIR REMOTEDIR NAME...   (one connection)
//	ftpjl [flags] mget REMOTEDIR LOCALDIR NAME...   (one connection)
//
// flags: -addr host:port, -user U (password from $FTP_PASSWORD), -tls
// (explicit, AUTH TLS) and -cacert FILE.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/jlaffaye/ftp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:21", "server `host:port`")
	user := flag.String("user", "anonymous", "user name (password from $FTP_PASSWORD)")
	useTLS := flag.Bool("tls", false, "explicit TLS (AUTH TLS)")
	cacert := flag.String("cacert", "", "PEM `file` of trusted certificates")
	flag.Parse()
	if err := run(*addr, *user, *useTLS, *cacert, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "ftpjl:", err)
		os.Exit(1)
	}
}

func run(addr, user string, useTLS bool, cacert string, args []string) error {
	if len(args) < 2 {
		return errors.New("usage: ftpjl [flags] get|put|ls|mput|mget ARGS")
	}
	opts := []ftp.DialOption{ftp.DialWithTimeout(30 * time.Second)}
	if useTLS {
		tc := &tls.Config{}
		if cacert != "" {
			pemBytes, err := os.ReadFile(cacert)
			if err != nil {
				return err
			}
			tc.RootCAs = x509.NewCertPool()
			if !tc.RootCAs.AppendCertsFromPEM(pemBytes) {
				return fmt.Errorf("%s: no PEM certificate", cacert)
			}
		}
		if host, _, err := net.SplitHostPort(addr); err == nil {
			tc.ServerName = host
		}
		// jlaffaye/ftp opens data connections with tls.Client and this
		// config, resuming the control connection's session when a
		// cache is set.
		tc.ClientSessionCache = tls.NewLRUClientSessionCache(4)
		opts = append(opts, ftp.DialWithExplicitTLS(tc))
	}
	c, err := ftp.Dial(addr, opts...)
	if err != nil {
		return err
	}
	if err := c.Login(user, os.Getenv("FTP_PASSWORD")); err != nil {
		return err
	}
	switch args[0] {
	case "get":
		if len(args) != 3 {
			return errors.New("get REMOTE LOCAL")
		}
		err = get(c, args[1], args[2])
	case "put":
		if len(args) != 3 {
			return errors.New("put LOCAL REMOTE")
		}
		err = put(c, args[1], args[2])
	case "ls":
		var entries []*ftp.Entry
		entries, err = c.List(args[1])
		if err == nil {
			fmt.Println(len(entries), "entries")
		}
	case "mput":
		if len(args) < 4 {
			return errors.New("mput LOCALDIR REMOTEDIR NAMES")
		}
		for _, name := range args[3:] {
			if err = put(c, filepath.Join(args[1], name), args[2]+"/"+name); err != nil {
				break
			}
		}
	case "mget":
		if len(args) < 4 {
			return errors.New("mget REMOTEDIR LOCALDIR NAMES")
		}
		for _, name := range args[3:] {
			if err = get(c, args[1]+"/"+name, filepath.Join(args[2], name)); err != nil {
				break
			}
		}
	default:
		err = fmt.Errorf("unknown command %q", args[0])
	}
	return errors.Join(err, c.Quit())
}

func get(c *ftp.ServerConn, remote, local string) error {
	r, err := c.Retr(remote)
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

func put(c *ftp.ServerConn, local, remote string) error {
	f, err := os.Open(local)
	if err != nil {
		return err
	}
	defer f.Close()
	return c.Stor(remote, f)
}
