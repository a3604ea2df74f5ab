// The Unix ls -l format of LIST: modes, sizes, dates in their many forms.

package listing

import (
	"io/fs"
	"strings"
	"time"
)

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
	if IsDotName(name) {
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
