// Command ftpc is a small FTP client built on package ftp.
//
//	ftpc ls URL
//	ftpc get [--resume] [--segments N] URL [LOCAL]
//	ftpc put [--resume] LOCAL URL
//	ftpc mirror [--parallel N] [--delete] [--dry-run] URL DIR
//	ftpc mirror --reverse [--parallel N] [--delete] [--dry-run] DIR URL
//	ftpc rm URL
//	ftpc mkdir [-p] URL
//	ftpc rmdir URL
//	ftpc mv URL NEWPATH
//	ftpc size URL
//	ftpc mdtm URL
//	ftpc serve [--tls] DIR
//	ftpc demo
//	ftpc help [COMMAND]
//	ftpc --version
//
// URLs look like ftp://[user[:password]@]host[:port]/path. The path is
// relative to the login directory, as with curl: ftp://host/dir/file names
// dir/file, and ftp://host//etc/motd (or ftp://host/%2Fetc/motd) names the
// absolute /etc/motd. A user without a password in the URL takes it from
// the FTP_PASSWORD environment variable, else from the netrc file ($NETRC,
// else ~/.netrc) when its entry for the host has that login; a URL without
// a user takes the login and password of the host's netrc entry (or of
// "default"), and is anonymous without one.
//
// --proxy (or ftp_proxy, all_proxy and their upper-case forms, unless
// no_proxy names the host) sends every connection through a SOCKS5 or HTTP
// CONNECT proxy. get, put and mirror draw progress bars on standard error
// when it is a terminal; --progress prints plain lines elsewhere, and
// --no-progress turns both off. --json prints the results of ls, size,
// mdtm and the summaries of get, put and mirror as JSON, one object a line.
//
// What the server sends is printed with its control characters escaped, as
// ls -b prints names: listed names and link targets, reply texts in error
// messages, progress labels. URLs in messages show "xxxxx" for their
// password, netrc errors never quote the file's words, and the argument of
// ACCT is masked like that of PASS.
//
// Flags may come before or after the command's arguments; each command
// takes the flags its help lists (ftpc help COMMAND). An error is reported
// as one line on standard error (mirror prints one line per failure, then
// a count), and the exit status says what kind it was (see exitCodes): 2
// usage, 3 login refused, 4 not found, 5 permission, 6 TLS, 7 network or
// timeout, 8 verification, 130 interrupted, 1 anything else. Ctrl-C stops
// a transfer, keeps what it moved and prints the command that resumes it;
// a second Ctrl-C quits at once.
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
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	ftp "github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/resume"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options holds every flag; each command registers the ones it accepts.
type options struct {
	active   bool
	debug    bool
	timeout  time.Duration
	resume   bool
	parents  bool
	size     sizeFlag // demo only
	json     bool     // results as JSON lines
	sortMode string   // ls: "" sorts up to sortBound entries, "all" every one, "none" none

	listen        string // serve: listen address
	serveUser     string // serve: the one user allowed
	serveTLS      bool   // serve: explicit TLS required
	serveImplicit bool   // serve: implicit TLS
	cert, key     string // serve: certificate and key files

	retries int  // get, put: attempts after a failure
	verify  bool // get, put: compare checksums (or sizes) afterwards

	tls      bool   // explicit TLS for ftp:// URLs
	cacert   string // PEM file of trusted certificates
	insecure bool   // skip certificate verification

	proxy    optionalString // --proxy URL; "" given means none
	progress progressMode   // --progress, --no-progress

	segments int // get: connections of a segmented download

	limitRate sizeFlag // get, put, mirror, cp: bytes a second, 0 for no limit
	fxpOnly   bool     // cp: no copy through this machine

	reverse  bool // mirror: upload
	parallel int  // mirror: files at once
	delete   bool // mirror: remove extraneous files
	dryRun   bool // mirror: change nothing

	exclude, include     listFlag // mirror: globs
	maxDepth             int      // mirror: levels, 0 for all
	newerThan, olderThan timeFlag // mirror: the time window
	noPerms              bool     // mirror: leave permissions alone
	checksum             bool     // mirror: compare by checksum
}

// session is what a command runs with.
type session struct {
	opts    options
	limiter *ftp.RateLimiter // --limit-rate, shared by every connection
	stdout  io.Writer
	stderr  *errWriter
	args    []string // the command line, for the command that resumes it

	netrc       []*netrcEntry
	netrcLoaded bool

	accounts []string // ACCT arguments in use, masked in errors
}

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// run is the whole command: it parses args, runs the command and returns
// the exit status, writing results to stdout and errors to stderr.
func run(args []string, stdout, stderr io.Writer) int {
	// The flags before the command are the command's too: they are
	// parsed here only to find where the command starts.
	top := flag.NewFlagSet("ftpc", flag.ContinueOnError)
	top.SetOutput(io.Discard)
	allFlags(top)
	version := top.Bool("version", false, "print the version")
	if err := top.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			writeOverview(stdout)
			return exitOK
		}
		return report(stderr, usagef("%v (run 'ftpc help')", err))
	}
	rest := top.Args()
	leading := args[:len(args)-len(rest)]
	if *version {
		if len(rest) > 0 {
			return report(stderr, usagef("--version takes no command"))
		}
		if err := writeVersion(stdout, top.Lookup("json").Value.String() == "true"); err != nil {
			return report(stderr, err)
		}
		return exitOK
	}
	if len(rest) == 0 {
		return report(stderr, usagef("no command given (run 'ftpc help')"))
	}
	name := rest[0]
	if name == "help" {
		return report(stderr, cmdHelp(stdout, rest[1:]))
	}
	cmd, ok := commands[name]
	if !ok {
		return report(stderr, usagef("unknown command %q (run 'ftpc help')", name))
	}
	var opts options
	fs := cmd.flagSet(&opts)
	if n := len(leading); n > 0 && leading[n-1] == "--" {
		leading = leading[:n-1]
	}
	pos, err := parseInterspersed(fs, append(append([]string(nil), leading...), rest[1:]...))
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			writeCommandHelp(stdout, cmd)
			return exitOK
		}
		return report(stderr, flagError(name, err))
	}
	if len(pos) < cmd.min || len(pos) > cmd.max {
		return report(stderr, usagef("usage: ftpc %s [flags] %s (run 'ftpc help %s')", name, cmd.args, name))
	}
	ctx, stop := watchInterrupt(baseContext(), stderr)
	defer stop()
	s := &session{opts: opts, stdout: stdout, stderr: &errWriter{raw: stderr}, args: args}
	err = cmd.run(ctx, s, pos)
	var ie *interruptedError
	if err != nil && interrupted(ctx) && !errors.As(err, &ie) {
		err = &interruptedError{what: name}
	}
	return report(stderr, err, s.accounts...)
}

// flagError rewords the flag package's complaint about a flag that
// another command takes.
func flagError(name string, err error) error {
	const undefined = "flag provided but not defined: "
	if msg := err.Error(); strings.HasPrefix(msg, undefined) {
		flagName := strings.TrimLeft(strings.TrimPrefix(msg, undefined), "-")
		if takesFlag(flagName) {
			return usagef("%s: --%s does not apply to %s (run 'ftpc help %s')", name, flagName, name, name)
		}
		return usagef("%s: unknown flag --%s (run 'ftpc help %s')", name, flagName, name)
	}
	return usagef("%s: %v (run 'ftpc help %s')", name, err, name)
}

// baseContext is the parent of every command's context; tests end a
// long-running command (serve) through it.
var baseContext = context.Background

// parseInterspersed parses fs over args, letting flags follow positional
// arguments; "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// report prints err and returns the exit status (exitCode). An error is
// one line; the errors of a *multiError take a line each, and a count
// follows; an interruption says how to resume. A login refused for want
// of TLS gets a hint. Each line is made safe to print: the accounts given
// are masked, the passwords of the URLs it quotes are hidden, and control
// characters (from a server's reply text, a listed name) are escaped.
func report(stderr io.Writer, err error, accounts ...string) int {
	if err == nil {
		return exitOK
	}
	var lines []string
	var ie *interruptedError
	if me, ok := err.(*multiError); ok {
		for i, e := range me.errs {
			me.errs[i] = withTLSHint(e)
			lines = append(lines, me.errs[i].Error())
		}
		lines = append(lines, err.Error())
	} else if errors.As(err, &ie) {
		lines = ie.lines()
	} else {
		err = withTLSHint(err)
		lines = []string{err.Error()}
	}
	for _, l := range lines {
		fmt.Fprintf(stderr, "ftpc: %s\n", safeLine(l, accounts))
	}
	return exitCode(err)
}

// safeLine is an error message as report prints it: accounts masked, URLs
// redacted, on one line, control characters escaped.
func safeLine(msg string, accounts []string) string {
	return escapeText(oneLine(redactURLs(maskAccounts(msg, accounts))))
}

// oneLine joins the lines and runs of spaces of msg.
func oneLine(msg string) string {
	return strings.Join(strings.Fields(msg), " ")
}

// multiError is several errors, each reported on a line of its own.
type multiError struct {
	what string // "mirror"
	errs []error
}

func (e *multiError) Error() string {
	return fmt.Sprintf("%s: %d errors", e.what, len(e.errs))
}

func (e *multiError) Unwrap() []error { return e.errs }

// target is a parsed ftp:// URL.
type target struct {
	scheme   string // "ftp", "ftps" or "ftpes"
	host     string // as in the URL, without brackets or port
	addr     string // host:port
	user     string // "" for anonymous
	password string
	hasPass  bool   // the password is known (URL or FTP_PASSWORD)
	account  string // from netrc
	path     string // relative to the login directory, or absolute; "" is the login directory
	tls      ftp.TLSMode
}

// parseURL parses ftp://[user[:password]@]host[:port]/path. Errors are usage
// errors, which show the URL with its password hidden (redactURL).
func parseURL(raw string) (*target, error) {
	shown := redactURL(raw)
	u, err := url.Parse(raw)
	if err != nil {
		return nil, urlError(shown)
	}
	mode := ftp.TLSNone
	defaultPort := ftp.DefaultPort
	switch strings.ToLower(u.Scheme) {
	case "ftp":
	case "ftps":
		mode, defaultPort = ftp.TLSImplicit, ftp.DefaultImplicitTLSPort
	case "ftpes":
		mode = ftp.TLSExplicit
	case "":
		return nil, usagef("%q is not a URL: want ftp://host/path", shown)
	default:
		return nil, usagef("unsupported URL scheme %q: want ftp://", u.Scheme)
	}
	if u.Opaque != "" {
		return nil, usagef("bad URL %q: want ftp://host/path", shown)
	}
	host := u.Hostname()
	if host == "" {
		return nil, usagef("URL %q names no host", shown)
	}
	port := u.Port()
	if port == "" {
		port = defaultPort
	} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return nil, usagef("URL %q: bad port %q", shown, port)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, usagef("URL %q has a query or fragment: write '?' as %%3F and '#' as %%23", shown)
	}
	t := &target{scheme: strings.ToLower(u.Scheme), host: host, addr: net.JoinHostPort(host, port), tls: mode}
	if u.User != nil {
		t.user = u.User.Username()
		if pw, ok := u.User.Password(); ok {
			t.password, t.hasPass = pw, true
		} else if pw, ok := os.LookupEnv("FTP_PASSWORD"); ok && t.user != "" {
			t.password, t.hasPass = pw, true
		}
	}
	// One '/' separates the host from the path; what follows is relative to
	// the login directory unless it starts with another '/'.
	t.path = strings.TrimPrefix(u.Path, "/")
	return t, nil
}

// credentials fills in what the URL leaves out of the login from the
// netrc file: a URL without a user takes the host's login, password and
// account; one with a user but no password (and no FTP_PASSWORD) takes
// the password of the host's entry with that login.
func (s *session) credentials(t *target) error {
	if t.hasPass {
		return nil
	}
	if !s.netrcLoaded {
		entries, err := readNetrc()
		if err != nil {
			return err
		}
		s.netrc, s.netrcLoaded = entries, true
	}
	e, ok := netrcLookup(s.netrc, t.host, t.user)
	if !ok {
		return nil
	}
	t.user, t.password, t.hasPass, t.account = e.login, e.password, true, e.account
	return nil
}

// config builds the Config for t from the flags, the netrc file and the
// proxy settings.
func (s *session) config(t *target) (*ftp.Config, error) {
	if err := s.credentials(t); err != nil {
		return nil, err
	}
	cfg := &ftp.Config{User: t.user, Password: t.password, Account: t.account, TLS: t.tls}
	if t.account != "" {
		s.accounts = append(s.accounts, t.account)
	}
	if raw, source := s.proxyFor(t); raw != "" {
		if s.opts.active {
			return nil, usagef("--active cannot work through a proxy (from %s): the server cannot connect back; use passive mode", source)
		}
		dial, err := proxyDialer(raw, source)
		if err != nil {
			return nil, err
		}
		cfg.DialContext = dial
	}
	if s.opts.tls && cfg.TLS == ftp.TLSNone {
		cfg.TLS = ftp.TLSExplicit
	}
	if cfg.TLS != ftp.TLSNone {
		tc := &tls.Config{InsecureSkipVerify: s.opts.insecure}
		if s.opts.cacert != "" {
			pemBytes, err := os.ReadFile(s.opts.cacert)
			if err != nil {
				return nil, fmt.Errorf("--cacert: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pemBytes) {
				return nil, usagef("--cacert %s: no PEM certificate in it", s.opts.cacert)
			}
			tc.RootCAs = pool
		}
		cfg.TLSConfig = tc
	}
	if s.opts.active {
		cfg.Active = &ftp.ActiveConfig{}
	}
	if s.opts.limitRate > 0 {
		if s.limiter == nil {
			s.limiter = ftp.NewRateLimiter(int64(s.opts.limitRate))
		}
		cfg.RateLimiter = s.limiter
	}
	if s.opts.debug {
		// The text handler quotes values, escaping control characters;
		// the masker hides ACCT's argument, which the library logs.
		cfg.Logger = slog.New(accountMasker{slog.NewTextHandler(s.stderr, &slog.HandlerOptions{Level: slog.LevelDebug})})
	}
	if s.opts.timeout > 0 {
		// Every wait: connecting, each reply, and a data connection
		// that moves nothing.
		cfg.DialTimeout = s.opts.timeout
		cfg.ReplyTimeout = s.opts.timeout
		cfg.DataTimeout = s.opts.timeout
	}
	return cfg, nil
}

// resumeOptions turns --resume, --retries and --verify into the options of
// the library's resumable transfers. Uploads keep their resume records in
// the user's cache directory, so that a later --resume continues a remote
// part only if it came from the same local file.
func (s *session) resumeOptions() *resume.Options {
	o := &resume.Options{Retries: s.opts.retries, Verify: s.opts.verify, Fresh: !s.opts.resume}
	if o.Retries == 0 {
		o.Retries = -1
	}
	if dir, err := os.UserCacheDir(); err == nil {
		o.Journal = filepath.Join(dir, "ftpc", "resume")
	}
	return o
}

// connect parses rawURL and logs in.
func (s *session) connect(ctx context.Context, rawURL string) (*target, *ftp.Conn, error) {
	t, err := parseURL(rawURL)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := s.config(t)
	if err != nil {
		return nil, nil, err
	}
	c, err := ftp.Dial(ctx, t.addr, cfg)
	if err != nil {
		return nil, nil, err
	}
	return t, c, nil
}

// needPath returns t's path, or a usage error when the URL names nothing.
func needPath(t *target, what string) (string, error) {
	p := t.path
	if p == "" {
		return "", usagef("the URL names no %s", what)
	}
	return p, nil
}

// dirPath is p without trailing slashes, keeping "/" itself.
func dirPath(p string) string {
	if q := strings.TrimRight(p, "/"); q != "" {
		return q
	}
	return p
}

func cmdRemove(ctx context.Context, s *session, args []string) error {
	return withPath(ctx, s, args[0], "file", func(c *ftp.Conn, p string) error {
		return c.Delete(ctx, p)
	})
}

func cmdMakeDir(ctx context.Context, s *session, args []string) error {
	return withPath(ctx, s, args[0], "directory", func(c *ftp.Conn, p string) error {
		p = dirPath(p)
		if s.opts.parents {
			return c.MakeDirAll(ctx, p)
		}
		_, err := c.MakeDir(ctx, p)
		return err
	})
}

func cmdRemoveDir(ctx context.Context, s *session, args []string) error {
	return withPath(ctx, s, args[0], "directory", func(c *ftp.Conn, p string) error {
		return c.RemoveDir(ctx, dirPath(p))
	})
}

func cmdRename(ctx context.Context, s *session, args []string) error {
	t, err := parseURL(args[0])
	if err != nil {
		return err
	}
	to := args[1]
	if strings.Contains(to, "://") {
		t2, err := parseURL(to)
		if err != nil {
			return err
		}
		if t2.addr != t.addr {
			return usagef("mv: cannot move between servers (%s and %s)", t.addr, t2.addr)
		}
		to = t2.path
	}
	if to == "" {
		return usagef("mv: empty new path")
	}
	return withPath(ctx, s, args[0], "file", func(c *ftp.Conn, p string) error {
		return c.Rename(ctx, p, to)
	})
}

// withPath parses rawURL, which must name something, logs in and runs fn.
func withPath(ctx context.Context, s *session, rawURL, what string, fn func(c *ftp.Conn, p string) error) error {
	t, err := parseURL(rawURL)
	if err != nil {
		return err
	}
	p, err := needPath(t, what)
	if err != nil {
		return err
	}
	cfg, err := s.config(t)
	if err != nil {
		return err
	}
	c, err := ftp.Dial(ctx, t.addr, cfg)
	if err != nil {
		return err
	}
	defer release(ctx, c)
	return fn(c, p)
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
