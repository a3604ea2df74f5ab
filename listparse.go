// Parsers for directory listings: MLSx facts (RFC 3659), Unix ls -l, DOS/IIS and EPLF.

package ftp

import (
	"fmt"
	"io/fs"
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

// unixPerm turns octal mode bits into permission, setuid, setgid and sticky
// bits of an fs.FileMode; file-type bits are ignored.
func unixPerm(m uint64) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	if m&0o4000 != 0 {
		mode |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		mode |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}

// parseTimeVal parses an RFC 3659 time-val, YYYYMMDDHHMMSS with an optional
// fraction of one to nine digits, as UTC. MDTM replies and the MLSx modify
// fact use it.
func parseTimeVal(s string) (time.Time, error) {
	bad := func() (time.Time, error) {
		q := s
		if len(q) > 40 {
			q = q[:40] + "..."
		}
		return time.Time{}, fmt.Errorf("ftp: malformed time value %q", q)
	}
	if len(s) < 14 || !allDigits(s[:14]) {
		return bad()
	}
	nsec := 0
	if len(s) > 14 {
		frac := s[15:]
		if s[14] != '.' || len(frac) == 0 || len(frac) > 9 || !allDigits(frac) {
			return bad()
		}
		nsec = atoiDigits(frac)
		for i := len(frac); i < 9; i++ {
			nsec *= 10
		}
	}
	year := atoiDigits(s[0:4])
	month := atoiDigits(s[4:6])
	day := atoiDigits(s[6:8])
	hour := atoiDigits(s[8:10])
	minute := atoiDigits(s[10:12])
	sec := atoiDigits(s[12:14])
	// RFC 3659 allows a leap second (60); time.Date carries it over.
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour > 23 || minute > 59 || sec > 60 {
		return bad()
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), nil
}

// splitFacts cuts an MLSx line at the first "; ", the end of the facts.
func splitFacts(s string) (facts, name string, ok bool) {
	i := strings.Index(s, "; ")
	if i < 0 {
		return "", "", false
	}
	return s[:i+1], s[i+2:], true
}

// looksLikeFacts reports whether every ';'-separated part of f is fact=value.
func looksLikeFacts(f string) bool {
	if f == "" || f[0] == ' ' {
		return false
	}
	for f != "" {
		var part string
		part, f, _ = strings.Cut(f, ";")
		if part == "" {
			continue
		}
		if k, _, ok := strings.Cut(part, "="); !ok || k == "" {
			return false
		}
	}
	return true
}

// parseMLSxLine parses one line of an MLSD listing or of an MLST reply:
// "fact=value;...;fact=value; pathname" (RFC 3659 section 7). The facts may
// be absent, in which case the line starts with the space. The single
// leading space of an MLST reply line is tolerated.
func parseMLSxLine(line string) (*Entry, error) {
	const kind = "MLSx"
	s := trimEOL(line)
	if hasBadByte(s) {
		return nil, unparsed(kind, "control byte", line)
	}
	var facts, name string
	if strings.HasPrefix(s, " ") {
		rest := s[1:]
		if f, n, ok := splitFacts(rest); ok && looksLikeFacts(f) {
			facts, name = f, n // an MLST line still indented
		} else {
			name = rest // no facts at all
		}
	} else {
		var ok bool
		if facts, name, ok = splitFacts(s); !ok {
			return nil, unparsed(kind, "no space after the facts", line)
		}
	}
	if name == "" {
		return nil, unparsed(kind, "empty name", line)
	}

	e := &Entry{Name: name, Type: EntryFile, Size: -1, Raw: line}
	e.Facts = make(map[string]string, strings.Count(facts, ";"))
	var (
		typ                   string
		size, sizd            string
		haveSize, haveSizd    bool
		owner, ownerName, uid string
		group, groupName, gid string
		slink                 string
		modify                string
		haveModify            bool
		mode                  string
	)
	for rest := facts; rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, ";")
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok || k == "" {
			return nil, unparsed(kind, "fact without a value", line)
		}
		k = factKey(k)
		e.Facts[k] = v
		switch k {
		case "type":
			typ = v
		case "size":
			size, haveSize = v, true
		case "sizd":
			sizd, haveSizd = v, true
		case "modify":
			modify, haveModify = v, true
		case "unix.mode":
			mode = v
		case "unix.owner":
			owner = v
		case "unix.ownername":
			ownerName = v
		case "unix.uid":
			uid = v
		case "unix.group":
			group = v
		case "unix.groupname":
			groupName = v
		case "unix.gid":
			gid = v
		case "unix.slink":
			slink = v
		}
	}

	switch {
	case typ == "":
		// No type fact: treat as a plain file.
	case strings.EqualFold(typ, "file"):
		e.Type = EntryFile
	case strings.EqualFold(typ, "dir"):
		e.Type = EntryDir
	case strings.EqualFold(typ, "cdir"):
		e.Type = entryCurrent
	case strings.EqualFold(typ, "pdir"):
		e.Type = entryParent
	default:
		e.Type = EntryOther
		for _, p := range [...]string{"os.unix=slink", "os.unix=symlink"} {
			if len(typ) >= len(p) && strings.EqualFold(typ[:len(p)], p) {
				tail := typ[len(p):]
				if tail == "" || tail[0] == ':' {
					e.Type = EntryLink
					if tail != "" {
						e.Target = tail[1:]
					}
					break
				}
			}
		}
	}
	if e.Type == EntryLink && e.Target == "" {
		e.Target = slink
	}

	switch {
	case haveSize:
		n, ok := parseSize(size)
		if !ok {
			return nil, unparsed(kind, "bad size", line)
		}
		e.Size = n
	case haveSizd:
		n, ok := parseSize(sizd)
		if !ok {
			return nil, unparsed(kind, "bad sizd", line)
		}
		e.Size = n
	}
	if haveModify {
		t, err := parseTimeVal(modify)
		if err != nil {
			return nil, unparsed(kind, "bad modify time", line)
		}
		e.ModTime = t
	}
	if mode != "" {
		// A malformed unix.mode only loses the mode, it is not fatal.
		if m, err := strconv.ParseUint(mode, 8, 32); err == nil {
			e.Mode = unixPerm(m)
		}
	}
	e.Owner = firstNonEmpty(ownerName, owner, uid)
	e.Group = firstNonEmpty(groupName, group, gid)
	return e, nil
}

// knownFacts are the fact names of RFC 3659 and the common UNIX.* ones, so
// that factKey can lower-case them without allocating.
var knownFacts = [...]string{
	"type", "size", "sizd", "modify", "create", "perm", "unique", "lang",
	"media-type", "charset", "unix.mode", "unix.owner", "unix.group",
	"unix.uid", "unix.gid", "unix.ownername", "unix.groupname", "unix.slink",
}

// factKey returns the lower-cased fact name (RFC 3659 7.5: names are case
// insensitive).
func factKey(k string) string {
	for _, f := range knownFacts {
		if len(f) == len(k) && strings.EqualFold(f, k) {
			return f
		}
	}
	return strings.ToLower(k)
}

func firstNonEmpty(a, b, c string) string {
	if a != "" {
		return a
	}
	if b != "" {
		return b
	}
	return c
}

// parseListLine parses one line of a LIST answer: EPLF, Unix "ls -l" or
// DOS/IIS. It returns (nil, nil) for lines that describe no entry: blank
// lines, "total N" lines and the "." and ".." entries. Times without a zone
// are read in loc (UTC when nil); a year left out by ls is inferred from now.
func parseListLine(line string, now time.Time, loc *time.Location) (*Entry, error) {
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
	if isDotName(name) {
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

// span is the byte range [s, e) of one whitespace-separated token.
type span struct{ s, e int }

func (t span) of(s string) string { return s[t.s:t.e] }

// splitTokens fills out with the first tokens of line, separated by runs of
// spaces or tabs, and returns how many it found.
func splitTokens(line string, out []span) int {
	n, i := 0, 0
	for n < len(out) {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			break
		}
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '\t' {
			j++
		}
		out[n] = span{i, j}
		n++
		i = j
	}
	return n
}

// parseLsMode parses an ls mode string such as "drwxr-sr-t", optionally
// followed by '+', '@' or '.'. It returns the type character and the
// permission bits.
func parseLsMode(m string) (typ byte, perm fs.FileMode, ok bool) {
	if len(m) == 11 {
		switch m[10] {
		case '+', '@', '.':
			m = m[:10]
		default:
			return 0, 0, false
		}
	}
	if len(m) != 10 {
		return 0, 0, false
	}
	switch m[0] {
	case '-', 'd', 'l', 'b', 'c', 'p', 's', 'D':
	default:
		return 0, 0, false
	}
	for i := 0; i < 3; i++ {
		r, w, x := m[1+3*i], m[2+3*i], m[3+3*i]
		shift := uint(3 * (2 - i))
		switch r {
		case 'r':
			perm |= 4 << shift
		case '-':
		default:
			return 0, 0, false
		}
		switch w {
		case 'w':
			perm |= 2 << shift
		case '-':
		default:
			return 0, 0, false
		}
		special := [3]fs.FileMode{fs.ModeSetuid, fs.ModeSetgid, fs.ModeSticky}[i]
		lower, upper := byte('s'), byte('S')
		if i == 2 {
			lower, upper = 't', 'T'
		}
		switch x {
		case 'x':
			perm |= 1 << shift
		case '-':
		case lower:
			perm |= 1<<shift | special
		case upper:
			perm |= special
		default:
			return 0, 0, false
		}
	}
	return m[0], perm, true
}

var monthNames = [12]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

// parseMonth returns 1-12 for an English three-letter month name.
func parseMonth(s string) int {
	if len(s) != 3 {
		return 0
	}
	for i, m := range monthNames {
		if strings.EqualFold(s, m) {
			return i + 1
		}
	}
	return 0
}

// parseDay accepts a day of month of one or two digits, 1-31.
func parseDay(s string) int {
	if len(s) < 1 || len(s) > 2 || !allDigits(s) {
		return 0
	}
	d := atoiDigits(s)
	if d > 31 {
		return 0
	}
	return d
}

// parseHHMM parses "H:MM" or "HH:MM".
func parseHHMM(s string) (h, m int, ok bool) {
	c := strings.IndexByte(s, ':')
	if c < 1 || c > 2 || len(s)-c != 3 || !allDigits(s[:c]) || !allDigits(s[c+1:]) {
		return 0, 0, false
	}
	h, m = atoiDigits(s[:c]), atoiDigits(s[c+1:])
	if h > 23 || m > 59 {
		return 0, 0, false
	}
	return h, m, true
}

// parseISOTime parses "HH:MM", "HH:MM:SS" or "HH:MM:SS.fraction".
func parseISOTime(s string) (h, m, sec, nsec int, ok bool) {
	if len(s) < 5 {
		return 0, 0, 0, 0, false
	}
	if h, m, ok = parseHHMM(s[:5]); !ok {
		return 0, 0, 0, 0, false
	}
	rest := s[5:]
	if rest == "" {
		return h, m, 0, 0, true
	}
	if len(rest) < 3 || rest[0] != ':' || !allDigits(rest[1:3]) {
		return 0, 0, 0, 0, false
	}
	sec = atoiDigits(rest[1:3])
	if sec > 60 {
		return 0, 0, 0, 0, false
	}
	rest = rest[3:]
	if rest == "" {
		return h, m, sec, 0, true
	}
	frac := rest[1:]
	if rest[0] != '.' || len(frac) == 0 || len(frac) > 9 || !allDigits(frac) {
		return 0, 0, 0, 0, false
	}
	nsec = atoiDigits(frac)
	for i := len(frac); i < 9; i++ {
		nsec *= 10
	}
	return h, m, sec, nsec, true
}

// parseISODate parses "YYYY-MM-DD".
func parseISODate(s string) (y, mo, d int, ok bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' ||
		!allDigits(s[:4]) || !allDigits(s[5:7]) || !allDigits(s[8:]) {
		return 0, 0, 0, false
	}
	y, mo, d = atoiDigits(s[:4]), atoiDigits(s[5:7]), atoiDigits(s[8:])
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(mo, y) {
		return 0, 0, 0, false
	}
	return y, mo, d, true
}

// parseZone parses a numeric zone "+HHMM" or "-HHMM" into seconds east of UTC.
func parseZone(s string) (int, bool) {
	if len(s) != 5 || (s[0] != '+' && s[0] != '-') || !allDigits(s[1:]) {
		return 0, false
	}
	h, m := atoiDigits(s[1:3]), atoiDigits(s[3:5])
	if h > 23 || m > 59 {
		return 0, false
	}
	off := (h*60 + m) * 60
	if s[0] == '-' {
		off = -off
	}
	return off, true
}

// lsDate is a date found in an ls line.
type lsDate struct {
	last    int // index of the date's last token
	year    int
	hasYear bool // false when ls printed a time instead of the year
	month   int
	day     int
	h, m, s int
	nsec    int
	zone    int // seconds east of UTC when hasZone
	hasZone bool
}

// matchDate reports whether the tokens from i on form an ls date:
// "Mon DD HH:MM", "Mon DD YYYY" or "YYYY-MM-DD HH:MM[:SS[.frac]] [+HHMM]".
func matchDate(s string, tk []span, i int) (d lsDate, ok bool) {
	if i+1 >= len(tk) {
		return d, false
	}
	if mo := parseMonth(tk[i].of(s)); mo != 0 {
		if i+2 >= len(tk) {
			return d, false
		}
		day := parseDay(tk[i+1].of(s))
		if day == 0 {
			return d, false
		}
		d = lsDate{last: i + 2, month: mo, day: day}
		yt := tk[i+2].of(s)
		if len(yt) == 4 && allDigits(yt) {
			d.year, d.hasYear = atoiDigits(yt), true
			return d, true
		}
		if d.h, d.m, ok = parseHHMM(yt); ok {
			return d, true
		}
		return lsDate{}, false
	}
	y, mo, day, ok := parseISODate(tk[i].of(s))
	if !ok {
		return d, false
	}
	d = lsDate{last: i + 1, year: y, hasYear: true, month: mo, day: day}
	if d.h, d.m, d.s, d.nsec, ok = parseISOTime(tk[i+1].of(s)); !ok {
		return lsDate{}, false
	}
	if i+2 < len(tk) {
		if off, ok := parseZone(tk[i+2].of(s)); ok {
			d.zone, d.hasZone, d.last = off, true, i+2
		}
	}
	return d, true
}

// matchSize checks the size column just before the date at index i. It
// returns the index of the size's first token; device is true for the
// "major, minor" and "major,minor" forms.
func matchSize(s string, tk []span, i int) (first int, device bool, ok bool) {
	if i < 2 {
		return 0, false, false
	}
	t := tk[i-1].of(s)
	if allDigits(t) {
		if i >= 3 {
			if p := tk[i-2].of(s); len(p) >= 2 && p[len(p)-1] == ',' && allDigits(p[:len(p)-1]) {
				return i - 2, true, true
			}
		}
		return i - 1, false, true
	}
	if a, b, found := strings.Cut(t, ","); found && allDigits(a) && allDigits(b) {
		return i - 1, true, true
	}
	return 0, false, false
}

// resolve turns an ls date into a time in loc, inferring a missing year as
// the most recent one that does not put the date more than a day past now.
func (d lsDate) resolve(now time.Time, loc *time.Location) (time.Time, bool) {
	if d.hasYear {
		if d.day > daysIn(d.month, d.year) {
			return time.Time{}, false
		}
		if d.hasZone {
			t := time.Date(d.year, time.Month(d.month), d.day, d.h, d.m, d.s, d.nsec, time.UTC)
			return t.Add(-time.Duration(d.zone) * time.Second).In(loc), true
		}
		return time.Date(d.year, time.Month(d.month), d.day, d.h, d.m, d.s, d.nsec, loc), true
	}
	nowL := now.In(loc)
	y := nowL.Year()
	if d.day <= daysIn(d.month, y) {
		t := time.Date(y, time.Month(d.month), d.day, d.h, d.m, 0, 0, loc)
		if t.After(nowL.Add(24 * time.Hour)) {
			y--
		}
	}
	// Feb 29 belongs to the latest leap year.
	for k := 0; k < 8 && d.day > daysIn(d.month, y); k++ {
		y--
	}
	if d.day > daysIn(d.month, y) {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(d.month), d.day, d.h, d.m, 0, 0, loc), true
}

// parseUnix parses an "ls -l" style line. tk holds its first tokens; the
// first is a valid mode string.
func parseUnix(s, line string, tk []span, now time.Time, loc *time.Location) (*Entry, error) {
	const kind = "ls"
	typ, perm, _ := parseLsMode(tk[0].of(s))

	// Find the date: try the usual column (mode links owner group size
	// date) first, then scan from the left.
	var (
		d         lsDate
		sizeFirst int
		device    bool
		found     bool
	)
	try := func(i int) bool {
		if i >= len(tk) {
			return false
		}
		dd, ok := matchDate(s, tk, i)
		if !ok {
			return false
		}
		sf, dev, ok := matchSize(s, tk, i)
		if !ok {
			return false
		}
		d, sizeFirst, device = dd, sf, dev
		return true
	}
	found = try(5)
	for i := 2; !found && i < len(tk); i++ {
		if i != 5 {
			found = try(i)
		}
	}
	if !found {
		return nil, unparsed(kind, "no size and date", line)
	}

	nameStart := tk[d.last].e + 1
	if nameStart > len(s) {
		return nil, unparsed(kind, "no name", line)
	}
	name := s[nameStart:]
	if name == "" {
		return nil, unparsed(kind, "no name", line)
	}

	e := &Entry{Size: -1, Mode: perm, Raw: line}
	switch typ {
	case '-':
		e.Type = EntryFile
	case 'd':
		e.Type = EntryDir
	case 'l':
		e.Type = EntryLink
		if n, t, ok := strings.Cut(name, " -> "); ok {
			name, e.Target = n, t
		}
	default:
		e.Type = EntryOther
	}
	if isDotName(name) {
		return nil, nil
	}
	e.Name = name

	if !device {
		n, ok := parseSize(tk[sizeFirst].of(s))
		if !ok {
			return nil, unparsed(kind, "bad size", line)
		}
		e.Size = n
	}
	t, ok := d.resolve(now, loc)
	if !ok {
		return nil, unparsed(kind, "bad date", line)
	}
	e.ModTime = t

	// Tokens between mode and size: [links] owner [group].
	switch mid := tk[1:sizeFirst]; len(mid) {
	case 0:
	case 1:
		e.Owner = mid[0].of(s)
	case 2:
		if allDigits(mid[0].of(s)) {
			e.Owner = mid[1].of(s)
		} else {
			e.Owner, e.Group = mid[0].of(s), mid[1].of(s)
		}
	default:
		e.Owner = mid[1].of(s)
		e.Group = s[mid[2].s:mid[len(mid)-1].e]
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
	if isDotName(name) {
		return nil, nil
	}
	e.Name = name
	e.ModTime = time.Date(y, time.Month(mo), d, h, m, 0, 0, loc)
	return e, nil
}
