// Text from the server, printed safely: control characters escaped, so
// that a listed name or a reply cannot drive the user's terminal.

package main

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// escapeText returns s with every character that is not printable escaped
// as Go's %q would (\a, \n, \x1b, \u009b, \xff for a byte that is not
// UTF-8), and nothing else changed: printable UTF-8 and spaces stay as
// they are. It is for messages, which may name local Windows paths, so a
// backslash stays single.
func escapeText(s string) string { return escape(s, false) }

// escapeName is escapeText for a name from a listing, as ls -b prints it:
// a backslash is doubled too, so that the escaped form is unambiguous.
func escapeName(s string) string { return escape(s, true) }

func escape(s string, backslash bool) string {
	if !needsEscape(s, backslash) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(s[i])>>4, 16))
			b.WriteString(strconv.FormatUint(uint64(s[i])&0xf, 16))
		case r == '\\':
			b.WriteString(s[i : i+1])
			if backslash {
				b.WriteByte('\\')
			}
		case strconv.IsPrint(r):
			b.WriteString(s[i : i+size])
		default:
			q := strconv.QuoteRune(r) // '\x1b'
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	return b.String()
}

func needsEscape(s string, backslash bool) bool {
	for _, r := range s {
		if r == utf8.RuneError || (r == '\\' && backslash) || (r != '\\' && !strconv.IsPrint(r)) {
			return true
		}
	}
	return false
}
