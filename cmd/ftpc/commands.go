// The commands and their flags: one table, from which the parser, the
// overview and each command's help are made, so that help lists exactly the
// flags a command takes.

package main

import (
	"context"
	"flag"
	"io"
	"sort"
)

// command describes one subcommand.
type command struct {
	name    string
	args    string // the positional arguments, as in "URL [LOCAL]"
	summary string // one line, for the overview
	// shown is the command as the overview shows it, when not
	// "NAME ARGS"; more is another form of it, with its summary, shown
	// in the overview and in the usage after the first.
	shown, more, moreSummary string
	about                    string   // what it does, for its help
	examples                 []string // command lines, without "ftpc "
	min, max                 int      // positional arguments
	groups                   flagGroup
	flags                    func(fs *flag.FlagSet, o *options) // its own flags
	run                      func(ctx context.Context, s *session, args []string) error
}

// flagGroup names the shared sets of flags a command takes.
type flagGroup int

const (
	connFlags     flagGroup = 1 << iota // connecting: TLS, proxy, timeouts, --debug
	progressFlags                       // --progress, --no-progress
	jsonFlag                            // --json
)

// commandOrder is the order of the overview.
var commandOrder = []string{"ls", "get", "put", "mirror", "cp", "rm", "mkdir", "rmdir", "mv", "size", "mdtm", "serve", "demo"}

var commands map[string]*command

func init() {
	transferFlags := func(fs *flag.FlagSet, o *options, what string) {
		fs.IntVar(&o.retries, "retries", o.retries, "reconnect and resume up to `N` times after a failure")
		fs.BoolVar(&o.verify, "verify", o.verify, "compare checksums (HASH, XSHA256...) or sizes after "+what)
		flagLimitRate(fs, o)
	}
	list := []*command{
		{name: "ls", args: "URL", min: 1, max: 1, groups: connFlags | jsonFlag, run: cmdList,
			summary: "list a directory, or show one file",
			about: `List the directory URL names (hidden entries are shown when the server
lists them), one entry a line: type, size, modification time (UTC) and
name; a URL naming a file shows that file. Entries are sorted by name up
to 10000; a longer listing is printed in the server's order as it
arrives, in constant memory (--sort sorts any number, --no-sort none).`,
			examples: []string{"ls --json ftpes://alice@ftp.example.com/reports/",
				"ls --no-sort ftp://ftp.example.com/huge/ | grep '\\.iso$'"},
			flags: func(fs *flag.FlagSet, o *options) {
				fs.BoolFunc("sort", "sort every entry by name, however many (holds them all)", func(string) error { o.sortMode = "all"; return nil })
				fs.BoolFunc("no-sort", "print entries in the server's order as they arrive", func(string) error { o.sortMode = "none"; return nil })
			}},
		{name: "get", args: "URL [LOCAL]", min: 1, max: 2, groups: connFlags | progressFlags | jsonFlag, run: cmdGet,
			summary: "download a file",
			about: `Download the file URL names. LOCAL is a file, a directory (an existing one,
or any name ending in "/") that receives the file under its remote name,
or "-" for standard output; without LOCAL the file goes to the current
directory under its remote name. Interrupted (Ctrl-C), the partial file
is kept and the command that resumes it is printed.`,
			examples: []string{"get ftp://ftp.example.com/pub/file.iso", "get --resume --tls ftp://alice@ftp.example.com/backup.tar /srv/backups/"},
			flags: func(fs *flag.FlagSet, o *options) {
				fs.BoolVar(&o.resume, "resume", o.resume, "continue a partial local file from its size (curl -C -)")
				transferFlags(fs, o, "the transfer")
				fs.IntVar(&o.segments, "segments", o.segments, "download over `N` connections at once, each fetching one range")
			}},
		{name: "put", args: "LOCAL URL", min: 2, max: 2, groups: connFlags | progressFlags | jsonFlag, run: cmdPut,
			summary: "upload a file",
			about: `Upload the local file LOCAL to URL; a URL ending in "/" keeps LOCAL's
name. Interrupted (Ctrl-C), what the server holds is reported with the
command that resumes the upload.`,
			examples: []string{"put backup.tar ftp://alice@ftp.example.com/incoming/", "put --resume --verify big.iso ftpes://alice@ftp.example.com/big.iso"},
			flags: func(fs *flag.FlagSet, o *options) {
				fs.BoolVar(&o.resume, "resume", o.resume, "continue a partial remote file from its size (REST, or APPE)")
				transferFlags(fs, o, "the transfer")
			}},
		{name: "mirror", args: "URL DIR", min: 2, max: 2, groups: connFlags | progressFlags | jsonFlag, run: cmdMirror,
			summary: "make DIR a copy of the remote directory URL",
			more:    "--reverse DIR URL", moreSummary: "make the remote directory URL a copy of DIR",
			about: `Make the local directory DIR a copy of the remote directory URL, as lftp's
mirror does: only what is missing or changed (size, or time to the
second; or checksum, with --checksum) moves; partial copies (".NAME.part")
are resumed; times and permissions are kept (--no-perms: not the
permissions). --exclude and --include choose paths by glob: an excluded
directory is not even listed, and nothing excluded is deleted. With
--reverse, make the remote directory a copy of DIR.`,
			examples: []string{"mirror --exclude '*.tmp' --exclude 'cache/**' ftp://ftp.example.com/pub/site ./site",
				"mirror --reverse --delete --dry-run ./site ftpes://alice@ftp.example.com/www"},
			flags: func(fs *flag.FlagSet, o *options) {
				o.parallel = 4
				fs.BoolVar(&o.reverse, "reverse", o.reverse, "upload DIR to URL instead of downloading")
				fs.IntVar(&o.parallel, "parallel", o.parallel, "`N` files (and connections) at once")
				fs.BoolVar(&o.delete, "delete", o.delete, "remove what the source does not hold")
				fs.BoolVar(&o.dryRun, "dry-run", o.dryRun, "change nothing: list each file that would be transferred or deleted, then the counts")
				fs.Var(&o.exclude, "exclude", "leave out paths matching the glob `PATTERN` (*, ?, [a-z], ** for any depth; a leading / anchors it at the top); repeatable")
				fs.Var(&o.include, "include", "take only files matching the glob `PATTERN`; repeatable")
				fs.IntVar(&o.maxDepth, "max-depth", o.maxDepth, "go no deeper than `N` levels (1: the top directory's files only)")
				fs.Var(&o.newerThan, "newer-than", "take only files modified after `WHEN`: an age (7d, 36h) or a date (2026-11-01)")
				fs.Var(&o.olderThan, "older-than", "take only files modified before `WHEN`")
				fs.BoolVar(&o.noPerms, "no-perms", o.noPerms, "leave permissions alone (by default copies get the source's mode; never setuid)")
				fs.BoolVar(&o.checksum, "checksum", o.checksum, "compare files of equal size by checksum (HASH, XSHA256...) instead of time")
				transferFlags(fs, o, "each transfer")
			}},
		{name: "cp", args: "URL URL", min: 2, max: 2, groups: connFlags | jsonFlag, run: cmdCopy,
			summary: "copy a file from one server to another",
			about: `Copy the file the first URL names to the second (a URL ending in "/"
keeps the name), straight from server to server (FXP: PASV on the
destination, PORT on the source) when both allow it, as lftp does with
ftp:use-fxp. Most servers refuse FXP unless configured for it (vsftpd:
port_promiscuous and pasv_promiscuous; proftpd: AllowForeignAddress;
pure-ftpd: -w); ftpc then says why and copies through this machine,
unless --fxp-only. Either way the copy's size is checked on both servers.
FXP needs clear data connections, so TLS sessions always copy through
this machine. --limit-rate paces a copy through this machine; FXP moves
no byte here to pace.`,
			examples: []string{"cp ftp://alice@a.example.com/db.dump ftp://bob@b.example.com/backups/", "cp --fxp-only ftp://a.example.com/x.iso ftp://b.example.com/x.iso"},
			flags: func(fs *flag.FlagSet, o *options) {
				fs.BoolVar(&o.fxpOnly, "fxp-only", o.fxpOnly, "fail rather than copy through this machine when FXP is refused")
				flagLimitRate(fs, o)
			}},
		{name: "rm", args: "URL", min: 1, max: 1, groups: connFlags, run: cmdRemove,
			summary: "delete a file", about: "Delete the file URL names (DELE).",
			examples: []string{"rm ftp://alice@ftp.example.com/incoming/old.tar"}},
		{name: "mkdir", args: "URL", shown: "mkdir [-p] URL", min: 1, max: 1, groups: connFlags, run: cmdMakeDir,
			summary:  "create a directory (-p: and its parents)",
			about:    "Create the directory URL names (MKD); with -p, its missing parents too, and\nno error when it exists.",
			examples: []string{"mkdir ftp://alice@ftp.example.com/incoming/2026", "mkdir -p ftp://alice@ftp.example.com/a/b/c"},
			flags: func(fs *flag.FlagSet, o *options) {
				fs.BoolVar(&o.parents, "p", o.parents, "create missing parents; an existing directory is no error")
			}},
		{name: "rmdir", args: "URL", min: 1, max: 1, groups: connFlags, run: cmdRemoveDir,
			summary: "remove an empty directory", about: "Remove the empty directory URL names (RMD).",
			examples: []string{"rmdir ftp://alice@ftp.example.com/incoming/2025"}},
		{name: "mv", args: "URL NEWPATH", min: 2, max: 2, groups: connFlags, run: cmdRename,
			summary:  "rename",
			about:    "Rename what URL names to NEWPATH (RNFR, RNTO): a path on the same server,\nrelative to the login directory, or an ftp:// URL of the same server.",
			examples: []string{"mv ftp://alice@ftp.example.com/upload.part upload.tar"}},
		{name: "size", args: "URL", min: 1, max: 1, groups: connFlags | jsonFlag, run: cmdSize,
			summary: "print a file's size in bytes", about: "Print the size in bytes of the file URL names (SIZE, or MLST).",
			examples: []string{"size ftp://ftp.example.com/pub/file.iso", "size --json ftp://ftp.example.com/pub/file.iso"}},
		{name: "mdtm", args: "URL", min: 1, max: 1, groups: connFlags | jsonFlag, run: cmdModTime,
			summary:  "print a file's modification time",
			about:    "Print the modification time of the file URL names (MDTM, or MLST), in UTC,\nas RFC 3339.",
			examples: []string{"mdtm ftp://ftp.example.com/pub/file.iso"}},
		{name: "serve", args: "DIR", min: 1, max: 1, run: cmdServe,
			summary: "serve DIR with the embedded server until Ctrl-C (--tls: FTPS)",
			about: `Serve the directory DIR with the embedded FTP server until Ctrl-C, for
experiments. Any user and password may log in unless --user names the one
user (whose password is FTP_PASSWORD). --tls requires explicit TLS (AUTH
TLS, ftpes://), --implicit serves implicit TLS (ftps://); without --cert
and --key the certificate is a self-signed one, valid for a day for
127.0.0.1, ::1 and localhost, written to a file whose name is printed, for
clients' --cacert.`,
			examples: []string{"serve ./pub", "serve --tls --listen 127.0.0.1:2121 ./pub"},
			flags: func(fs *flag.FlagSet, o *options) {
				fs.StringVar(&o.listen, "listen", "127.0.0.1:2121", "`address` to listen on")
				fs.StringVar(&o.serveUser, "user", "", "the only `user` allowed (password from FTP_PASSWORD); empty allows any")
				fs.BoolVar(&o.serveTLS, "tls", o.serveTLS, "require explicit TLS (AUTH TLS) before login")
				fs.BoolVar(&o.serveImplicit, "implicit", o.serveImplicit, "serve implicit TLS (TLS from the first byte)")
				fs.StringVar(&o.cert, "cert", o.cert, "PEM certificate `file` (with --key; implies --tls)")
				fs.StringVar(&o.key, "key", o.key, "PEM private key `file` of --cert")
				flagDebug(fs, o, "log the server's sessions to standard error")
			}},
		{name: "demo", args: "", min: 0, max: 0, run: cmdDemo,
			summary: "upload, cut, resume and verify 64 MiB on an embedded server",
			about: `Start an embedded server, upload a file of random bytes, cut the data
connection part way, resume the upload, download the file back and compare
SHA-256 checksums.`,
			examples: []string{"demo", "demo --size 8M --debug"},
			flags: func(fs *flag.FlagSet, o *options) {
				o.size = demoSize
				fs.Var(&o.size, "size", "bytes to transfer, `N` with K, M or G (binary units)")
				flagDebug(fs, o, "log the control dialogue to standard error")
				flagTimeout(fs, o)
			}},
	}
	commands = map[string]*command{}
	for _, c := range list {
		commands[c.name] = c
	}
}

// flagLimitRate registers --limit-rate.
func flagLimitRate(fs *flag.FlagSet, o *options) {
	fs.Var(&o.limitRate, "limit-rate", "cap the transfer at `RATE` bytes a second, with K, M or G (binary units, as curl); one cap shared by all of a command's connections")
}

// flagDebug and flagTimeout register --debug and --timeout.
func flagDebug(fs *flag.FlagSet, o *options, usage string) {
	fs.BoolVar(&o.debug, "debug", o.debug, usage)
}

func flagTimeout(fs *flag.FlagSet, o *options) {
	fs.DurationVar(&o.timeout, "timeout", o.timeout, "bound each connection attempt, each reply and each stall of a data connection (`duration`, e.g. 10s)")
}

// groupFlags registers the shared flags of g.
func groupFlags(fs *flag.FlagSet, o *options, g flagGroup) {
	if g&connFlags != 0 {
		fs.BoolVar(&o.active, "active", o.active, "active mode (EPRT/PORT): the server connects back")
		flagDebug(fs, o, "log the control dialogue to standard error (PASS and ACCT masked)")
		flagTimeout(fs, o)
		fs.BoolVar(&o.tls, "tls", o.tls, "explicit TLS (AUTH TLS) for ftp:// URLs, as ftpes://")
		fs.StringVar(&o.cacert, "cacert", o.cacert, "trust the PEM certificates in `file` instead of the system roots")
		fs.BoolVar(&o.insecure, "insecure", o.insecure, "do not verify the server's certificate (dangerous)")
		fs.Var(&o.proxy, "proxy", "connect through a proxy `URL`: socks5://, socks5h:// or http:// (CONNECT); \"\" for none (default: ftp_proxy, all_proxy...)")
	}
	if g&progressFlags != 0 {
		fs.Var(&progressFlag{mode: &o.progress}, "progress", "show progress: bars on a terminal, plain lines elsewhere")
		fs.Var(&progressFlag{mode: &o.progress, neg: true}, "no-progress", "show no progress")
	}
	if g&jsonFlag != 0 {
		fs.BoolVar(&o.json, "json", o.json, "print results as JSON, one object a line")
	}
}

// flagSet returns the flags of c, registered on o.
func (c *command) flagSet(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("ftpc "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if c.flags != nil {
		c.flags(fs, o)
	}
	groupFlags(fs, o, c.groups)
	return fs
}

// allFlags registers on fs one flag of each name any command takes, with
// throwaway values: enough to find where the command starts in a command
// line whose flags come first.
func allFlags(fs *flag.FlagSet) {
	names := append([]string(nil), commandOrder...)
	sort.Strings(names)
	for _, name := range names {
		var scratch options
		commands[name].flagSet(&scratch).VisitAll(func(f *flag.Flag) {
			if fs.Lookup(f.Name) == nil {
				fs.Var(f.Value, f.Name, f.Usage)
			}
		})
	}
}

// takesFlag reports whether some command takes the flag name.
func takesFlag(name string) bool {
	for _, c := range commands {
		var scratch options
		if c.flagSet(&scratch).Lookup(name) != nil {
			return true
		}
	}
	return false
}
