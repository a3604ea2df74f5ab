// Parsers for LIST lines: the dispatcher, DOS/IIS and EPLF, and the
// helpers every format shares (Unix ls -l in listparse_unix.go, MLSx facts
// in mlsx.go).

package listing

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// unparsed returns the error for a line that does not fit the format named
// by kind; it matches ErrUnparsedLine.
func unparsed(kind, why, line string) error {
	if len(line) > 120 {
		line = line[:120] + "..."
	}
	return fmt.Errorf("ftp: %s line %q: %s: %w", kind, line, why, ErrUnparsedLine)
}

// trimEOL drops one trailing line terminator (CRLF, LF or CR).
func trimEOL(s string) string {
	return strings.TrimSuffix(strings.TrimSuffix(s, "\n"), "\r")
}

// hasBadByte reports whether s holds a NUL, CR or LF, none of which can be
// part of a single listing line once its terminator is gone.
func hasBadByte(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == 0 || c == '\r' || c == '\n' {
			return true
		}
	}
	return false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// allDigits reports whether s is a non-empty run of ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// atoiDigits converts a short string known to hold only digits.
func atoiDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// parseSize parses a non-negative decimal size that must fit an int64.
func parseSize(s string) (int64, bool) {
	if !allDigits(s) {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// daysIn returns the number of days of month m (1-12) in year y.
func daysIn(m, y int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	default:
		return 31
	}
}

// ParseLIST parses one line of a LIST answer: EPLF, Unix "ls -l" or
// DOS/IIS. It returns (nil, nil) for lines that describe no entry: blank
// lines, "total N" lines and the "." and ".." entries. Times without a zone
// are read in loc (UTC when nil); a year left out by ls is inferred from now.
func ParseLIST(line string, now time.Time, loc *time.Location) (*Entry, error) {
	s := trimEOL(line)
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	if hasBadByte(s) {
		return nil, unparsed("LIST", "control byte", line)
	}
	if loc == nil {
		loc = time.UTC
	}
	if s[0] == '+' {
		return parseEPLF(s, line)
	}
	var tk [12]span
	n := splitTokens(s, tk[:])
	first := tk[0].of(s)
	if n == 2 && strings.EqualFold(first, "total") && isDigit(tk[1].of(s)[0]) {
		return nil, nil
	}
	if _, _, ok := parseLsMode(first); ok {
		return parseUnix(s, line, tk[:n], now, loc)
	}
	if _, _, _, ok := parseDOSDate(first); ok {
		return parseDOS(s, line, tk[:n], loc)
	}
	return nil, unparsed("LIST", "unknown format", line)
}

// parseEPLF parses an EPLF line, "+fact,fact,...\tname".
func parseEPLF(s, line string) (*Entry, error) {
	const kind = "EPLF"
	tab := strings.IndexByte(s, '\t')
	if tab < 0 {
		return nil, unparsed(kind, "no tab before the name", line)
	}
	name := s[tab+1:]
	if name == "" {
		return nil, unparsed(kind, "empty name", line)
	}
	if IsDotName(name) {
		return nil, nil
	}
	e := &Entry{Name: name, Type: EntryOther, Size: -1, Raw: line}
	dir, file := false, false
	for rest := s[1:tab]; rest != ""; {
		var f string
		f, rest, _ = strings.Cut(rest, ",")
		if f == "" {
			continue
		}
		switch f[0] {
		case '/':
			dir = true
		case 'r':
			file = true
		case 's':
			n, ok := parseSize(f[1:])
			if !ok {
				return nil, unparsed(kind, "bad size", line)
			}
			e.Size = n
		case 'm':
			n, ok := parseSize(f[1:])
			if !ok {
				return nil, unparsed(kind, "bad time", line)
			}
			e.ModTime = time.Unix(n, 0).UTC()
		case 'u':
			if strings.HasPrefix(f, "up") {
				if m, err := strconv.ParseUint(f[2:], 8, 32); err == nil {
					e.Mode = unixPerm(m)
				}
			}
		}
	}
	switch {
	case dir:
		e.Type = EntryDir
	case file:
		e.Type = EntryFile
	}
	return e, nil
}

// parseDOSDate parses "MM-DD-YY" or "MM-DD-YYYY" ('/' is also accepted).
// Two-digit years 70-99 are 19xx, 00-69 are 20xx.
func parseDOSDate(s string) (y, mo, d int, ok bool) {
	if (len(s) != 8 && len(s) != 10) || !allDigits(s[:2]) || !allDigits(s[3:5]) || !allDigits(s[6:]) {
		return 0, 0, 0, false
	}
	sep := s[2]
	if (sep != '-' && sep != '/') || s[5] != sep {
		return 0, 0, 0, false
	}
	mo, d, y = atoiDigits(s[:2]), atoiDigits(s[3:5]), atoiDigits(s[6:])
	if len(s) == 8 {
		if y >= 70 {
			y += 1900
		} else {
			y += 2000
		}
	}
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(mo, y) {
		return 0, 0, 0, false
	}
	return y, mo, d, true
}

// parseDOS parses an IIS/DOS style line:
// "MM-DD-YY  HH:MMAM  <DIR>|size  name".
func parseDOS(s, line string, tk []span, loc *time.Location) (*Entry, error) {
	const kind = "DOS"
	y, mo, d, _ := parseDOSDate(tk[0].of(s))
	if len(tk) < 3 {
		return nil, unparsed(kind, "truncated", line)
	}
	tt := tk[1].of(s)
	next := 2
	ampm := ""
	if n := len(tt); n > 2 && (tt[n-1] == 'M' || tt[n-1] == 'm') {
		tt, ampm = tt[:n-2], tt[n-2:]
	} else if p := tk[2].of(s); len(p) == 2 && (strings.EqualFold(p, "AM") || strings.EqualFold(p, "PM")) {
		ampm = p
		next = 3
	}
	h, m, ok := parseHHMM(tt)
	if !ok {
		return nil, unparsed(kind, "bad time", line)
	}
	switch {
	case ampm == "":
	case strings.EqualFold(ampm, "AM"), strings.EqualFold(ampm, "PM"):
		if h < 1 || h > 12 {
			return nil, unparsed(kind, "bad time", line)
		}
		if h == 12 {
			h = 0
		}
		if ampm[0] == 'P' || ampm[0] == 'p' {
			h += 12
		}
	default:
		return nil, unparsed(kind, "bad time", line)
	}
	if next >= len(tk) {
		return nil, unparsed(kind, "truncated", line)
	}
	e := &Entry{Type: EntryFile, Size: -1, Raw: line}
	if sz := tk[next].of(s); strings.EqualFold(sz, "<DIR>") {
		e.Type = EntryDir
	} else {
		n, ok := parseSize(sz)
		if !ok {
			return nil, unparsed(kind, "bad size", line)
		}
		e.Size = n
	}
	name := strings.TrimLeft(s[tk[next].e:], " \t")
	if name == "" {
		return nil, unparsed(kind, "no name", line)
	}
	if IsDotName(name) {
		return nil, nil
	}
	e.Name = name
	e.ModTime = time.Date(y, time.Month(mo), d, h, m, 0, 0, loc)
	return e, nil
}
