// Command ftpc is a small FTP client built on package ftp.
//
//	ftpc [flags] ls URL
//	ftpc [flags] get [--resume] [--segments N] URL [LOCAL]
//	ftpc [flags] put [--resume] LOCAL URL
//	ftpc [flags] mirror [--parallel N] [--delete] [--dry-run] URL DIR
//	ftpc [flags] mirror --reverse [--parallel N] [--delete] [--dry-run] DIR URL
//	ftpc [flags] rm URL
//	ftpc [flags] mkdir [-p] URL
//	ftpc [flags] rmdir URL
//	ftpc [flags] mv URL NEWPATH
//	ftpc [flags] size URL
//	ftpc [flags] mdtm URL
//	ftpc [flags] demo
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
// --no-progress turns both off.
//
// What the server sends is printed with its control characters escaped, as
// ls -b prints names: listed names and link targets, reply texts in error
// messages, progress labels. URLs in messages show "xxxxx" for their
// password, netrc errors never quote the file's words, and the argument of
// ACCT is masked like that of PASS.
//
// Flags may come before or after the command's arguments. The exit status
// is 0 on success, 1 on an error and 2 on a usage error; an error is reported
// as one line on standard error (mirror prints one line per failure, then a
// count).
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	ftp "github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/resume"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

const usageText = `usage: ftpc [flags] COMMAND ARGS...

commands:
  ls URL                   list a directory
  get [--resume] [--segments N] URL [LOCAL]
                           download a file (LOCAL "-" is standard output);
                           --segments N: over N connections at once
  put [--resume] LOCAL URL upload a file (a URL ending in "/" keeps LOCAL's name)
  mirror URL DIR           make DIR a copy of the remote directory URL
  mirror --reverse DIR URL make the remote directory URL a copy of DIR
                           (only what changed moves; partial copies resume;
                           also --parallel N, --delete, --dry-run)
  rm URL                   delete a file
  mkdir [-p] URL           create a directory (-p: and its parents)
  rmdir URL                remove an empty directory
  mv URL NEWPATH           rename (NEWPATH is a server path or an ftp:// URL)
  size URL                 print a file's size in bytes
  mdtm URL                 print a file's modification time
  demo [--size N]          upload, cut, resume and verify 64 MiB (or N bytes)
                           on an embedded server
  serve [--listen ADDR] [--user U] DIR
                           serve DIR with the embedded server until Ctrl-C

URL: ftp://[user[:password]@]host[:port]/path; the path is relative to the
login directory, ftp://host//abs is absolute. FTP_PASSWORD supplies a
password the URL leaves out; otherwise the netrc file ($NETRC, else
~/.netrc) supplies the login and password for the host. ftps:// is implicit
TLS (port 990), ftpes:// explicit TLS (AUTH TLS); certificates are verified.

flags (before or after the command's arguments):
  --active         active mode (EPRT/PORT) instead of passive
  --debug          log the control dialogue to standard error (PASS and ACCT
                   masked, the server's text escaped)
  --timeout D      bound each connection attempt, each reply and each data stall (e.g. 10s)
  --tls            explicit TLS for ftp:// URLs (as ftpes://)
  --cacert FILE    trust the PEM certificates in FILE instead of the system roots
  --insecure       skip certificate verification (dangerous)
  --proxy URL      connect through a proxy: socks5://, socks5h:// or http://
                   (CONNECT), [user:pass@]host[:port]; "" for none. Default:
                   ftp_proxy (ftps_proxy), FTP_PROXY, all_proxy, ALL_PROXY,
                   unless no_proxy/NO_PROXY names the host. Passive mode only.
  --progress       get, put, mirror: progress bars on a terminal, plain lines
                   (one a second per transfer) elsewhere; the default is bars
                   on a terminal only
  --no-progress    no progress output (also --progress=false)
  --resume         get: continue a partial local file; put: a partial remote one
  --retries N      get, put, mirror: reconnect and resume up to N times after
                   a failure
  --verify         get, put, mirror: compare checksums (or sizes) afterwards
  --segments N     get: download over N connections, each fetching one range
  --reverse        mirror: upload DIR to URL instead of downloading
  --parallel N     mirror: files moved (and connections open) at once
                   (default 4)
  --delete         mirror: remove what the source does not hold
  --dry-run        mirror: say what would be done, change nothing
  -p               mkdir: create missing parents
`

// options holds every flag; each command registers the ones it accepts.
type options struct {
	active  bool
	debug   bool
	timeout time.Duration
	resume  bool
	parents bool
	size    sizeFlag // demo only

	listen    string // serve: listen address
	serveUser string // serve: the one user allowed

	retries int  // get, put: attempts after a failure
	verify  bool // get, put: compare checksums (or sizes) afterwards

	tls      bool   // explicit TLS for ftp:// URLs
	cacert   string // PEM file of trusted certificates
	insecure bool   // skip certificate verification

	proxy    optionalString // --proxy URL; "" given means none
	progress progressMode   // --progress, --no-progress

	segments int // get: connections of a segmented download

	reverse  bool // mirror: upload
	parallel int  // mirror: files at once
	delete   bool // mirror: remove extraneous files
	dryRun   bool // mirror: change nothing
}

// session is what a command runs with.
type session struct {
	opts   options
	stdout io.Writer
	stderr *errWriter

	netrc       []*netrcEntry
	netrcLoaded bool

	accounts []string // ACCT arguments in use, masked in errors
}

// command describes one subcommand.
type command struct {
	synopsis string
	min, max int // positional arguments
	flags    func(fs *flag.FlagSet, o *options)
	run      func(ctx context.Context, s *session, args []string) error
}

var commands map[string]*command

func init() {
	resumeFlag := func(fs *flag.FlagSet, o *options) {
		fs.BoolVar(&o.resume, "resume", o.resume, "resume a partial transfer")
		fs.IntVar(&o.retries, "retries", o.retries, "reconnect and resume up to `N` times after a failure")
		fs.BoolVar(&o.verify, "verify", o.verify, "compare checksums (HASH/XSHA256...) or sizes after the transfer")
	}
	commands = map[string]*command{
		"ls": {synopsis: "ls URL", min: 1, max: 1, run: cmdList},
		"get": {synopsis: "get [--resume] [--segments N] URL [LOCAL]", min: 1, max: 2, run: cmdGet, flags: func(fs *flag.FlagSet, o *options) {
			resumeFlag(fs, o)
			fs.IntVar(&o.segments, "segments", o.segments, "download over `N` connections at once")
		}},
		"mirror": {synopsis: "mirror [--reverse] [--parallel N] [--delete] [--dry-run] URL DIR (--reverse: DIR URL)", min: 2, max: 2, run: cmdMirror, flags: func(fs *flag.FlagSet, o *options) {
			o.parallel = 4
			fs.BoolVar(&o.reverse, "reverse", o.reverse, "upload DIR to URL")
			fs.IntVar(&o.parallel, "parallel", o.parallel, "`N` files (and connections) at once")
			fs.BoolVar(&o.delete, "delete", o.delete, "remove what the source does not hold")
			fs.BoolVar(&o.dryRun, "dry-run", o.dryRun, "change nothing, say what would be done")
			fs.IntVar(&o.retries, "retries", o.retries, "reconnect and resume up to `N` times after a failure")
			fs.BoolVar(&o.verify, "verify", o.verify, "compare checksums (HASH/XSHA256...) or sizes after each transfer")
		}},
		"put":   {synopsis: "put [--resume] LOCAL URL", min: 2, max: 2, flags: resumeFlag, run: cmdPut},
		"rm":    {synopsis: "rm URL", min: 1, max: 1, run: cmdRemove},
		"mkdir": {synopsis: "mkdir [-p] URL", min: 1, max: 1, run: cmdMakeDir, flags: func(fs *flag.FlagSet, o *options) { fs.BoolVar(&o.parents, "p", o.parents, "create missing parents") }},
		"rmdir": {synopsis: "rmdir URL", min: 1, max: 1, run: cmdRemoveDir},
		"mv":    {synopsis: "mv URL NEWPATH", min: 2, max: 2, run: cmdRename},
		"size":  {synopsis: "size URL", min: 1, max: 1, run: cmdSize},
		"mdtm":  {synopsis: "mdtm URL", min: 1, max: 1, run: cmdModTime},
		"serve": {synopsis: "serve [--listen ADDR] [--user U] DIR", min: 1, max: 1, run: cmdServe, flags: func(fs *flag.FlagSet, o *options) {
			fs.StringVar(&o.listen, "listen", "127.0.0.1:2121", "`address` to listen on")
			fs.StringVar(&o.serveUser, "user", "", "the only user allowed (password from FTP_PASSWORD); empty allows any")
		}},
		"demo": {synopsis: "demo [--size N]", min: 0, max: 0, run: cmdDemo, flags: func(fs *flag.FlagSet, o *options) {
			o.size = demoSize
			fs.Var(&o.size, "size", "bytes to transfer (suffixes K, M, G: binary)")
		}},
	}
}

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// globalFlags registers the flags every command accepts, keeping the values
// already parsed.
func globalFlags(fs *flag.FlagSet, o *options) {
	fs.BoolVar(&o.active, "active", o.active, "active mode (EPRT/PORT)")
	fs.BoolVar(&o.debug, "debug", o.debug, "log the control dialogue to standard error")
	fs.DurationVar(&o.timeout, "timeout", o.timeout, "bound on each connection attempt, each reply, and each stall of a data connection")
	fs.BoolVar(&o.tls, "tls", o.tls, "explicit TLS (AUTH TLS) for ftp:// URLs")
	fs.StringVar(&o.cacert, "cacert", o.cacert, "PEM `file` of certificates to trust instead of the system roots")
	fs.BoolVar(&o.insecure, "insecure", o.insecure, "do not verify the server's certificate (dangerous)")
	fs.Var(&o.proxy, "proxy", "proxy `URL`: socks5://, socks5h:// or http://; \"\" for none")
	fs.Var(&progressFlag{mode: &o.progress}, "progress", "show progress (bars on a terminal, lines elsewhere)")
	fs.Var(&progressFlag{mode: &o.progress, neg: true}, "no-progress", "show no progress")
}

// run is the whole command: it parses args, runs the command and returns
// the exit status, writing results to stdout and errors to stderr.
func run(args []string, stdout, stderr io.Writer) int {
	var opts options
	top := flag.NewFlagSet("ftpc", flag.ContinueOnError)
	top.SetOutput(io.Discard)
	globalFlags(top, &opts)
	top.BoolVar(&opts.resume, "resume", false, "resume a partial transfer (get, put)")
	if err := top.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usageText)
			return exitOK
		}
		return report(stderr, usagef("%v (run 'ftpc help')", err))
	}
	rest := top.Args()
	if len(rest) == 0 {
		return report(stderr, usagef("no command given (run 'ftpc help')"))
	}
	name := rest[0]
	if name == "help" {
		fmt.Fprint(stdout, usageText)
		return exitOK
	}
	cmd, ok := commands[name]
	if !ok {
		return report(stderr, usagef("unknown command %q (run 'ftpc help')", name))
	}
	fs := flag.NewFlagSet("ftpc "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	globalFlags(fs, &opts)
	if cmd.flags != nil {
		cmd.flags(fs, &opts)
	}
	pos, err := parseInterspersed(fs, rest[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stdout, "usage: ftpc %s\n", cmd.synopsis)
			return exitOK
		}
		return report(stderr, usagef("%s: %v (usage: ftpc %s)", name, err, cmd.synopsis))
	}
	if opts.resume && name != "get" && name != "put" {
		return report(stderr, usagef("--resume applies only to get and put"))
	}
	if len(pos) < cmd.min || len(pos) > cmd.max {
		return report(stderr, usagef("usage: ftpc %s", cmd.synopsis))
	}
	ctx, stop := signal.NotifyContext(baseContext(), os.Interrupt)
	defer stop()
	s := &session{opts: opts, stdout: stdout, stderr: &errWriter{raw: stderr}}
	err = cmd.run(ctx, s, pos)
	return report(stderr, err, s.accounts...)
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

// report prints err as one line and returns the exit status. The errors
// of a *multiError take a line each, and a count follows. Each line is
// made safe to print: the accounts given are masked, the passwords of the
// URLs it quotes are hidden, and control characters (from a server's reply
// text, a listed name) are escaped.
func report(stderr io.Writer, err error, accounts ...string) int {
	if err == nil {
		return exitOK
	}
	if me, ok := err.(*multiError); ok {
		for _, e := range me.errs {
			fmt.Fprintf(stderr, "ftpc: %s\n", safeLine(e.Error(), accounts))
		}
	}
	fmt.Fprintf(stderr, "ftpc: %s\n", safeLine(err.Error(), accounts))
	var ue *usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitError
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

// resumable runs one of the library's resumable transfers with a progress
// display, and says how the result was verified when --verify asked.
func (s *session) resumable(prog *progress, label string, size int64, remote string, run func(*resume.Options) (*resume.Result, error)) error {
	ro := s.resumeOptions()
	tr := prog.start(label, size, -1, false)
	ro.Progress = tr.callback()
	res, err := run(ro)
	tr.finish(err)
	if err == nil && s.opts.verify {
		fmt.Fprintf(s.stdout, "%s: %d bytes, verified by %s\n", escapeText(remote), res.Size, escapeText(verifiedBy(res)))
	}
	return err
}

// verifiedBy says what proved a transfer's result.
func verifiedBy(res *resume.Result) string {
	if res.Verified == "" {
		return "nothing: the server reports no size and no checksum"
	}
	return res.Verified
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

func cmdList(ctx context.Context, s *session, args []string) error {
	t, c, err := s.connect(ctx, args[0])
	if err != nil {
		return err
	}
	defer c.Close()
	entries, err := c.List(ctx, t.path)
	// Names that are not one path element are refused by the library
	// (nothing may build a path of them), but showing them, escaped, is
	// what a listing is for.
	shown, err := takeUnsafe(err)
	printEntries(s.stdout, append(entries, shown...))
	var le *ftp.ListError
	if errors.As(err, &le) {
		for _, line := range le.Lines {
			fmt.Fprintf(s.stderr, "ftpc: listing line not understood: %q\n", escapeText(line))
		}
		if le.Count > len(le.Lines) {
			fmt.Fprintf(s.stderr, "ftpc: %d more listing lines not understood\n", le.Count-len(le.Lines))
		}
	}
	return err
}

// takeUnsafe takes the *UnsafeNameErrors out of a listing's error and
// returns their entries, with what else the error held.
func takeUnsafe(err error) ([]*ftp.Entry, error) {
	var entries []*ftp.Entry
	var rest []error
	var walk func(error)
	walk = func(err error) {
		var ue *ftp.UnsafeNameError
		switch e := err.(type) {
		case nil:
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		default:
			if errors.As(err, &ue) && ue.Entry != nil {
				entries = append(entries, ue.Entry)
				return
			}
			rest = append(rest, err)
		}
	}
	walk(err)
	return entries, errors.Join(rest...)
}

// printEntries writes one line per entry, sorted by name: type, size, time
// and name. Names and link targets are printed as ls -b prints them, with
// control characters escaped (escapeName): a name is the server's to
// choose, and must not drive the terminal.
func printEntries(w io.Writer, entries []*ftp.Entry) {
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	for _, e := range entries {
		size := "-"
		if e.Size >= 0 {
			size = strconv.FormatInt(e.Size, 10)
		}
		mod := "-"
		if !e.ModTime.IsZero() {
			mod = e.ModTime.UTC().Format(time.RFC3339)
		}
		name := escapeName(e.Name)
		if e.Type == ftp.EntryLink && e.Target != "" {
			name += " -> " + escapeName(e.Target)
		}
		fmt.Fprintf(w, "%c %12s %-20s %s\n", typeChar(e.Type), size, mod, name)
	}
}

func typeChar(t ftp.EntryType) byte {
	switch t {
	case ftp.EntryDir:
		return 'd'
	case ftp.EntryFile:
		return '-'
	case ftp.EntryLink:
		return 'l'
	}
	return '?'
}

func cmdGet(ctx context.Context, s *session, args []string) error {
	t, err := parseURL(args[0])
	if err != nil {
		return err
	}
	remote, err := needPath(t, "file")
	if err != nil {
		return err
	}
	if strings.HasSuffix(remote, "/") {
		return usagef("get: %q names a directory", remote)
	}
	local := path.Base(remote)
	if len(args) > 1 {
		local = args[1]
	}
	if local == "-" && s.opts.resume {
		return usagef("get: --resume needs a local file, not standard output")
	}
	switch {
	case s.opts.segments < 0:
		return usagef("get: --segments must be at least 1")
	case s.opts.segments > 0 && local == "-":
		return usagef("get: --segments needs a local file, not standard output")
	case s.opts.segments > 0 && s.opts.resume:
		return usagef("get: --segments and --resume do not mix: a segmented download starts afresh")
	}
	cfg, err := s.config(t)
	if err != nil {
		return err
	}
	prog := newProgress(s.opts.progress, s.stderr)
	defer prog.wait()
	label := "get " + escapeText(path.Base(remote))
	if s.opts.segments > 0 {
		return s.getSegmented(ctx, t, cfg, remote, local, prog.start(label, -1, -1, false))
	}
	if local != "-" && (s.opts.retries > 0 || s.opts.verify) {
		return s.resumable(prog, label, -1, remote, func(ro *resume.Options) (*resume.Result, error) {
			pool := ftp.NewPool(t.addr, cfg, &ftp.PoolOptions{MaxOpen: 1})
			defer pool.Close()
			return resume.DownloadFile(ctx, pool, remote, local, ro)
		})
	}
	c, err := ftp.Dial(ctx, t.addr, cfg)
	if err != nil {
		return err
	}
	defer c.Close()

	var offset int64
	size := int64(-1) // for progress and the length check
	if s.opts.resume {
		fi, err := os.Stat(local)
		switch {
		case err == nil:
			offset = fi.Size()
		case !errors.Is(err, fs.ErrNotExist):
			return err
		}
		if offset > 0 {
			n, err := c.Size(ctx, remote)
			var fe *ftp.Error
			switch {
			case err == nil && offset == n:
				return nil // already complete
			case err == nil && offset > n:
				return fmt.Errorf("get --resume: %s holds %d bytes, more than the %d of %s", local, offset, n, remote)
			case err == nil:
				size = n
			case !errors.As(err, &fe):
				return err
			}
			// A refused SIZE is not fatal: REST and RETR have the last word.
		}
	}
	if size < 0 && offset == 0 {
		// The size the download must reach: a short or overlong stream
		// is an error even when the server says 226. A server without
		// SIZE may still announce it in its 150 reply, which the Reader
		// checks too.
		if n, err := c.Size(ctx, remote); err == nil {
			size = n
		}
	}

	// The download starts before the local file is touched, so a missing
	// remote file leaves the local one alone.
	r, err := c.RetrieveFrom(ctx, remote, offset)
	if err != nil {
		return err
	}
	if size >= offset {
		r.ExpectSize(size - offset)
	}
	tr := prog.start(label, size, offset, false)
	if tr != nil {
		r.SetProgress(func(_ string, done, _ int64) { tr.update(done, -1) }) // keeps splice
	}
	if local == "-" {
		_, err = io.Copy(s.stdout, r)
		err = firstErr(err, r.Close())
		tr.finish(err)
		return err
	}
	flags := os.O_WRONLY | os.O_CREATE
	if !s.opts.resume {
		flags |= os.O_TRUNC
	}
	// No O_APPEND: an append-mode file would keep io.Copy from splicing.
	f, err := os.OpenFile(local, flags, 0o644)
	if err != nil {
		r.Close()
		tr.finish(err)
		return err
	}
	if s.opts.resume {
		end, err := f.Seek(0, io.SeekEnd)
		if err == nil && end != offset {
			err = fmt.Errorf("get --resume: %s changed size (%d, then %d bytes)", local, offset, end)
		}
		if err != nil {
			r.Close()
			f.Close()
			tr.finish(err)
			return err
		}
	}
	_, err = io.Copy(f, r) // Reader.WriteTo → (*os.File).ReadFrom: splice
	err = firstErr(err, r.Close(), f.Close())
	tr.finish(err)
	return err
}

// getSegmented downloads remote into local over --segments pooled
// connections.
func (s *session) getSegmented(ctx context.Context, t *target, cfg *ftp.Config, remote, local string, tr *tracker) error {
	pool := ftp.NewPool(t.addr, cfg, &ftp.PoolOptions{MaxOpen: s.opts.segments})
	defer pool.Close()
	ro := s.resumeOptions()
	ro.Progress = tr.callback()
	res, err := resume.DownloadSegmented(ctx, pool, remote, local, s.opts.segments, ro)
	tr.finish(err)
	s.debugPool(pool)
	if err == nil && s.opts.verify {
		fmt.Fprintf(s.stdout, "%s: %d bytes, verified by %s\n", escapeText(remote), res.Size, escapeText(verifiedBy(res)))
	}
	return err
}

// debugPool reports, with --debug, how a pool's connections were used.
func (s *session) debugPool(p *ftp.Pool) {
	if !s.opts.debug {
		return
	}
	st := p.Stats()
	fmt.Fprintf(s.stderr, "ftpc: pool: %d connections dialled, %d reuses, %d discarded, at most %d open at once\n",
		st.Dials, st.Reused, st.Discarded, st.MaxOpenSeen)
}

func cmdPut(ctx context.Context, s *session, args []string) error {
	local := args[0]
	if local == "-" {
		return usagef("put: reading standard input is not supported; name a file")
	}
	t, err := parseURL(args[1])
	if err != nil {
		return err
	}
	remote := t.path
	if remote == "" || strings.HasSuffix(remote, "/") {
		remote += filepath.Base(local)
	}
	f, err := os.Open(local)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("put: %s is not a regular file", local)
	}
	cfg, err := s.config(t)
	if err != nil {
		return err
	}
	prog := newProgress(s.opts.progress, s.stderr)
	defer prog.wait()
	label := "put " + escapeText(path.Base(remote))
	if s.opts.retries > 0 || s.opts.verify {
		return s.resumable(prog, label, fi.Size(), remote, func(ro *resume.Options) (*resume.Result, error) {
			pool := ftp.NewPool(t.addr, cfg, &ftp.PoolOptions{MaxOpen: 1})
			defer pool.Close()
			return resume.UploadFile(ctx, pool, local, remote, ro)
		})
	}
	c, err := ftp.Dial(ctx, t.addr, cfg)
	if err != nil {
		return err
	}
	defer c.Close()

	if !s.opts.resume {
		tr := prog.start(label, fi.Size(), 0, false)
		w, err := c.Store(ctx, remote)
		if err == nil {
			_, err = sendFile(w, f, 0, tr)
		}
		tr.finish(err)
		return err
	}
	held, err := c.Size(ctx, remote)
	if errors.Is(err, fs.ErrNotExist) {
		held, err = 0, nil
	}
	if err != nil {
		return err
	}
	switch {
	case held == fi.Size():
		return nil // already complete
	case held > fi.Size():
		return fmt.Errorf("put --resume: %s holds %d bytes, more than the %d of %s", remote, held, fi.Size(), local)
	}
	if _, err := f.Seek(held, io.SeekStart); err != nil {
		return err
	}
	tr := prog.start(label, fi.Size(), held, false)
	var n int64
	w, err := c.StoreFrom(ctx, remote, held)
	if err == nil {
		n, err = sendFile(w, f, held, tr)
	}
	var fe *ftp.Error
	if err != nil && held > 0 && n == 0 && errors.As(err, &fe) && fe.Code/100 == 5 {
		// REST+STOR refused: APPE reaches the same end on most servers.
		if _, serr := f.Seek(held, io.SeekStart); serr != nil {
			tr.finish(serr)
			return serr
		}
		w, err = c.Append(ctx, remote)
		if err == nil {
			_, err = sendFile(w, f, held, tr)
		}
	}
	tr.finish(err)
	return err
}

// sendFile sends the rest of f through w (Writer.Send: the upload is
// aborted when reading f fails, and closed, reading the server's verdict,
// otherwise), reporting progress from base, which keeps the Writer's
// sendfile path (in 1 MiB steps).
func sendFile(w *ftp.Writer, f *os.File, base int64, tr *tracker) (int64, error) {
	if tr != nil {
		w.SetProgress(func(_ string, done, _ int64) { tr.update(done, -1) })
	}
	return w.Send(f)
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

func cmdSize(ctx context.Context, s *session, args []string) error {
	return withPath(ctx, s, args[0], "file", func(c *ftp.Conn, p string) error {
		n, err := c.Size(ctx, p)
		if err == nil {
			fmt.Fprintln(s.stdout, n)
		}
		return err
	})
}

func cmdModTime(ctx context.Context, s *session, args []string) error {
	return withPath(ctx, s, args[0], "file", func(c *ftp.Conn, p string) error {
		mt, err := c.ModTime(ctx, p)
		if err == nil {
			fmt.Fprintln(s.stdout, mt.UTC().Format(time.RFC3339))
		}
		return err
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
	defer c.Close()
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
