// MLST and MLSD facts (RFC 3659): the lines of MLSD and MLST replies, and
// their time values (also those of MDTM).

package listing

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"
)

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

// ParseTime parses an RFC 3659 time-val, YYYYMMDDHHMMSS with an optional
// fraction of one to nine digits, as UTC. MDTM replies and the MLSx modify
// fact use it.
func ParseTime(s string) (time.Time, error) {
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

// ParseMLSx parses one line of an MLSD listing or of an MLST reply:
// "fact=value;...;fact=value; pathname" (RFC 3659 section 7). The facts may
// be absent, in which case the line starts with the space. The single
// leading space of an MLST reply line is tolerated.
func ParseMLSx(line string) (*Entry, error) {
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
		e.Type = EntryCurrentDir
	case strings.EqualFold(typ, "pdir"):
		e.Type = EntryParentDir
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
		t, err := ParseTime(modify)
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
