// ftpc serve: the embedded server on its own, for experiments, benchmarks
// and a client under test in another process; with --tls or --implicit,
// FTPS with a self-signed certificate (or --cert and --key).

package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/seed362563c3/ftp/internal/embedded"
)

// cmdServe serves DIR until the context ends (Ctrl-C).
func cmdServe(ctx context.Context, s *session, args []string) error {
	fi, err := os.Stat(args[0])
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return usagef("serve: %s is not a directory", args[0])
	}
	opts := embedded.Options{
		Root: args[0], Listen: s.opts.listen,
		User: s.opts.serveUser, Password: os.Getenv("FTP_PASSWORD"),
		EnableHASH: true,
	}
	if s.opts.debug {
		opts.Logger = slog.New(slog.NewTextHandler(s.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	scheme, note := "ftp", ""
	if s.opts.serveTLS || s.opts.serveImplicit || s.opts.cert != "" || s.opts.key != "" {
		cfg, caFile, cleanup, err := serveTLSConfig(s.opts.cert, s.opts.key)
		if err != nil {
			return err
		}
		defer cleanup()
		opts.TLS = cfg
		scheme, opts.TLSRequired = "ftpes", ftpserver.MandatoryEncryption
		if s.opts.serveImplicit {
			scheme, opts.TLSRequired = "ftps", ftpserver.ImplicitEncryption
		}
		leaf, _ := x509.ParseCertificate(cfg.Certificates[0].Certificate[0])
		note = "certificate SHA-256 " + fingerprint(leaf.Raw)
		if caFile != "" {
			note = fmt.Sprintf("self-signed certificate for 127.0.0.1, ::1 and localhost in %s (%s); clients: --cacert %s", caFile, note, caFile)
		}
	}
	srv, err := embedded.Start(opts)
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintf(s.stdout, "serving %s on %s://%s/\n", args[0], scheme, srv.Addr)
	if note != "" {
		fmt.Fprintln(s.stdout, note)
	}
	<-ctx.Done()
	return nil
}

// serveTLSConfig returns the server's TLS configuration: the --cert and
// --key pair, or a new self-signed certificate written (PEM) to a
// temporary file, caFile, for clients to trust, which cleanup removes.
func serveTLSConfig(certFile, keyFile string) (cfg *tls.Config, caFile string, cleanup func(), err error) {
	cleanup = func() {}
	switch {
	case certFile != "" && keyFile != "":
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, "", cleanup, fmt.Errorf("serve: --cert, --key: %w", err)
		}
		return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, "", cleanup, nil
	case certFile != "" || keyFile != "":
		return nil, "", cleanup, usagef("serve: --cert and --key go together")
	}
	cert, err := embedded.NewCertificate()
	if err != nil {
		return nil, "", cleanup, fmt.Errorf("serve: making a certificate: %w", err)
	}
	dir, err := os.MkdirTemp("", "ftpc-serve-*")
	if err != nil {
		return nil, "", cleanup, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	caFile = filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(caFile, cert.PEM, 0o644); err != nil {
		cleanup()
		return nil, "", func() {}, err
	}
	return cert.ServerConfig(), caFile, cleanup, nil
}

// fingerprint formats a SHA-256 digest of der as colon-separated hex.
func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}
