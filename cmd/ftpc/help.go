// Help: the overview (ftpc help) and each command's help (ftpc help get,
// ftpc get --help), made from the command table and the flags each command
// registers.

package main

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

const urlHelp = `URL: ftp://[user[:password]@]host[:port]/path. The path is relative to the
login directory, as with curl: ftp://host/dir/file names dir/file, and
ftp://host//etc/motd (or ftp://host/%2Fetc/motd) the absolute /etc/motd.
ftps:// is implicit TLS (port 990), ftpes:// explicit TLS (AUTH TLS);
certificates are verified. A user without a password takes it from
FTP_PASSWORD, else from the netrc file ($NETRC, else ~/.netrc), which also
supplies the login of a URL without a user; without either, the login is
anonymous.`

// writeOverview writes ftpc help: every command, the URL forms, the flags
// most commands share and the exit statuses.
func writeOverview(w io.Writer) {
	fmt.Fprint(w, `usage: ftpc COMMAND [flags] ARGS...
       ftpc help COMMAND    (or ftpc COMMAND --help: its flags and examples)
       ftpc --version

commands:
`)
	for _, name := range commandOrder {
		c := commands[name]
		shown := c.shown
		if shown == "" {
			shown = strings.TrimSpace(c.name + " " + c.args)
		}
		writeTwoColumns(w, "  ", shown, c.summary, 28)
		if c.more != "" {
			writeTwoColumns(w, "  ", c.name+" "+c.more, c.moreSummary, 28)
		}
	}
	fmt.Fprint(w, "\n"+urlHelp+"\n\n")
	fmt.Fprint(w, "common flags (ftpc help COMMAND lists those a command takes):\n")
	var o options
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	groupFlags(fs, &o, connFlags|progressFlags|jsonFlag)
	writeFlags(w, fs, nil)
	fmt.Fprint(w, `  and for transfers: get/put --resume, --retries N, --verify; get --segments N;
  mirror --reverse, --parallel N, --delete, --dry-run (see ftpc help COMMAND)

`)
	writeExitCodes(w)
}

// writeCommandHelp writes the help of one command: its usage, what it
// does, examples, and every flag it takes, its own first.
func writeCommandHelp(w io.Writer, c *command) {
	fmt.Fprintf(w, "usage: ftpc %s [flags] %s\n", c.name, c.args)
	if c.more != "" {
		fmt.Fprintf(w, "       ftpc %s %s\n", c.name, strings.Replace(c.more, " ", " [flags] ", 1))
	}
	fmt.Fprintf(w, "\n%s\n\nexamples:\n", c.about)
	for _, ex := range c.examples {
		fmt.Fprintf(w, "  ftpc %s\n", ex)
	}
	var o options
	own := flag.NewFlagSet("", flag.ContinueOnError)
	if c.flags != nil {
		c.flags(own, &o)
	}
	if has(own) {
		fmt.Fprintf(w, "\n%s flags:\n", c.name)
		writeFlags(w, own, nil)
	}
	for _, g := range []struct {
		group flagGroup
		title string
	}{{connFlags, "connection flags"}, {progressFlags, "progress flags"}, {jsonFlag, "output flags"}} {
		if c.groups&g.group == 0 {
			continue
		}
		fs := flag.NewFlagSet("", flag.ContinueOnError)
		groupFlags(fs, &o, g.group)
		fmt.Fprintf(w, "\n%s:\n", g.title)
		writeFlags(w, fs, own)
	}
	fmt.Fprint(w, "\nFlags may come before or after the arguments; \"--\" ends them.\n")
	if c.groups&connFlags != 0 {
		fmt.Fprint(w, "\n"+urlHelp+"\n")
	}
	fmt.Fprint(w, "\n")
	writeExitCodes(w)
}

// has reports whether fs holds any flag.
func has(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// writeFlags writes one line (or more) per flag of fs, sorted by name,
// leaving out those skip holds: "  --retries N   reconnect ...".
func writeFlags(w io.Writer, fs *flag.FlagSet, skip *flag.FlagSet) {
	var all []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		if skip == nil || skip.Lookup(f.Name) == nil {
			all = append(all, f)
		}
	})
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	for _, f := range all {
		writeTwoColumns(w, "  ", flagName(f), flagUsage(f), 22)
	}
}

// flagName is a flag as typed: "--retries N", "-p".
func flagName(f *flag.Flag) string {
	dash := "--"
	if len(f.Name) == 1 {
		dash = "-"
	}
	arg, _ := flag.UnquoteUsage(f)
	switch arg {
	case "":
	case "value", "string", "int":
		return dash + f.Name + " VALUE"
	default:
		return dash + f.Name + " " + strings.ToUpper(arg)
	}
	return dash + f.Name
}

// flagUsage is a flag's usage with its default, when it has one that says
// something.
func flagUsage(f *flag.Flag) string {
	_, usage := flag.UnquoteUsage(f)
	switch f.DefValue {
	case "", "0", "false", "0s":
	default:
		usage += " (default " + f.DefValue + ")"
	}
	return usage
}

// writeTwoColumns writes left, then right wrapped to 80 columns, starting
// at column width (on the next line when left is wider).
func writeTwoColumns(w io.Writer, indent, left, right string, width int) {
	line := indent + left
	pad := width - len(line)
	if pad < 2 {
		fmt.Fprintln(w, line)
		line, pad = "", width
	}
	line += strings.Repeat(" ", pad)
	n := 0
	for _, word := range strings.Fields(right) {
		if n > 0 && len(line)+1+len(word) > 80 {
			fmt.Fprintln(w, line)
			line, n = strings.Repeat(" ", width), 0
		}
		if n > 0 {
			line += " "
		}
		line += word
		n++
	}
	fmt.Fprintln(w, line)
}

// writeExitCodes writes the exit statuses scripts can branch on.
func writeExitCodes(w io.Writer) {
	fmt.Fprint(w, "exit status:\n")
	for _, e := range exitCodes {
		writeTwoColumns(w, "  ", fmt.Sprint(e.code), e.meaning, 8)
	}
}

// cmdHelp is ftpc help [COMMAND].
func cmdHelp(stdout io.Writer, args []string) error {
	switch len(args) {
	case 0:
		writeOverview(stdout)
		return nil
	case 1:
		if c, ok := commands[args[0]]; ok {
			writeCommandHelp(stdout, c)
			return nil
		}
		return usagef("help: unknown command %q (run 'ftpc help')", args[0])
	}
	return usagef("usage: ftpc help [COMMAND]")
}
