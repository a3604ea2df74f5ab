// Credentials from ~/.netrc, read as curl and lftp read it.

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// netrcEntry is one "machine" or "default" entry.
type netrcEntry struct {
	machine  string // "" for default
	deflt    bool
	login    string
	password string
	account  string
	hasPass  bool
}

// netrcPath is $NETRC when set, as with curl, else ~/.netrc; "" when there
// is no home directory.
func netrcPath() string {
	if p := os.Getenv("NETRC"); p != "" {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return ""
	}
	return filepath.Join(home, ".netrc")
}

// readNetrc reads and parses the netrc file; a missing file holds nothing.
func readNetrc() ([]*netrcEntry, error) {
	name := netrcPath()
	if name == "" {
		return nil, nil
	}
	data, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("netrc: %w", err)
	}
	return parseNetrc(name, data)
}

// parseNetrc parses a netrc file: whitespace-separated tokens, which may
// span lines, in "machine NAME", "default", "login NAME", "password
// WORD", "account WORD" and "macdef NAME" (whose body, up to an empty
// line, is skipped). As in curl, a token may be double-quoted, with \",
// \\, \n, \r and \t escapes inside, and '#' where a keyword is expected
// starts a comment that runs to the end of the line.
func parseNetrc(name string, data []byte) ([]*netrcEntry, error) {
	lx := &netrcLexer{name: name, data: data, line: 1}
	var entries []*netrcEntry
	var cur *netrcEntry
	for {
		tok, quoted, line, err := lx.next(true)
		if err != nil {
			return nil, err
		}
		if tok == "" && !quoted {
			return entries, nil
		}
		// The word where a keyword belongs is not shown: it is most
		// likely the rest of a password with a space in it.
		if quoted {
			return nil, lx.errorf(line, "a quoted word where a keyword belongs (a password with spaces must be quoted whole)")
		}
		switch tok {
		case "machine", "login", "password", "account", "macdef":
			v, vq, _, err := lx.next(false)
			if err != nil {
				return nil, err
			}
			if v == "" && !vq {
				return nil, lx.errorf(line, "%q without its value", tok)
			}
			switch tok {
			case "machine":
				cur = &netrcEntry{machine: v}
				entries = append(entries, cur)
			case "macdef":
				lx.skipMacro()
			default:
				if cur == nil {
					return nil, lx.errorf(line, "%q before any \"machine\" or \"default\"", tok)
				}
				switch tok {
				case "login":
					cur.login = v
				case "password":
					cur.password, cur.hasPass = v, true
				case "account":
					cur.account = v
				}
			}
		case "default":
			cur = &netrcEntry{deflt: true}
			entries = append(entries, cur)
		default:
			return nil, lx.errorf(line, "unknown keyword (not shown: a password with spaces must be quoted whole)")
		}
	}
}

type netrcLexer struct {
	name string
	data []byte
	pos  int
	line int
}

func (lx *netrcLexer) errorf(line int, format string, args ...any) error {
	return fmt.Errorf("netrc %s:%d: %s", lx.name, line, fmt.Sprintf(format, args...))
}

func (lx *netrcLexer) eof() bool { return lx.pos >= len(lx.data) }

func isNetrcSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f' || b == '\v'
}

// next returns the next token and the line it starts on; "" and not
// quoted at the end. A '#' starts a comment only where a keyword is
// expected, so that a password may begin with one.
func (lx *netrcLexer) next(keyword bool) (tok string, quoted bool, line int, err error) {
	for {
		for !lx.eof() && isNetrcSpace(lx.data[lx.pos]) {
			if lx.data[lx.pos] == '\n' {
				lx.line++
			}
			lx.pos++
		}
		if keyword && !lx.eof() && lx.data[lx.pos] == '#' {
			for !lx.eof() && lx.data[lx.pos] != '\n' {
				lx.pos++
			}
			continue
		}
		break
	}
	line = lx.line
	if lx.eof() {
		return "", false, line, nil
	}
	if lx.data[lx.pos] != '"' {
		start := lx.pos
		for !lx.eof() && !isNetrcSpace(lx.data[lx.pos]) {
			lx.pos++
		}
		return string(lx.data[start:lx.pos]), false, line, nil
	}
	lx.pos++ // the opening quote
	var b strings.Builder
	for !lx.eof() {
		c := lx.data[lx.pos]
		lx.pos++
		switch c {
		case '"':
			return b.String(), true, line, nil
		case '\n':
			lx.line++
		case '\\':
			if lx.eof() {
				break
			}
			c = lx.data[lx.pos]
			lx.pos++
			switch c {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case '\n':
				lx.line++
			}
		}
		b.WriteByte(c)
	}
	return "", true, line, lx.errorf(line, "unterminated quoted string")
}

// skipMacro skips the rest of the macdef line and the macro's body, which
// ends at an empty (or blank) line or at the end of the file.
func (lx *netrcLexer) skipMacro() {
	for first := true; !lx.eof(); first = false {
		end := lx.pos
		for end < len(lx.data) && lx.data[end] != '\n' {
			end++
		}
		blank := strings.TrimSpace(string(lx.data[lx.pos:end])) == ""
		lx.pos = end
		if !first && blank {
			return
		}
		if end < len(lx.data) {
			lx.pos++ // the line feed
			lx.line++
		}
	}
}

// netrcLookup finds the credentials for host. Without a user it gives the
// login, password and account of the first "machine" entry for host (the
// name compared without regard to case), or else of "default". With a
// user it gives the password and account of the first such entry whose
// login is that user. ok is false when nothing fits.
func netrcLookup(entries []*netrcEntry, host, user string) (e *netrcEntry, ok bool) {
	fits := func(e *netrcEntry) bool {
		if user == "" {
			return e.login != ""
		}
		return e.login == user && e.hasPass
	}
	for _, e := range entries {
		if !e.deflt && strings.EqualFold(e.machine, host) {
			if user == "" {
				// The first entry for the machine decides.
				return e, fits(e)
			}
			if fits(e) {
				return e, true
			}
		}
	}
	for _, e := range entries {
		if e.deflt && fits(e) {
			return e, true
		}
	}
	return nil, false
}
