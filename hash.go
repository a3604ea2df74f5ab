// Server-side checksums: HASH (draft-bryan-ftpext-hash) and the older
// XSHA256/XSHA1/XMD5/XCRC commands.

package ftp

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"hash/crc32"
	"strconv"
	"strings"
)

// Hash algorithm names, as HASH and FEAT spell them.
const (
	HashSHA256 = "SHA-256"
	HashSHA1   = "SHA-1"
	HashMD5    = "MD5"
	HashCRC32  = "CRC32"
)

// xHashCommand maps an algorithm to its older one-command form.
var xHashCommand = map[string]string{HashSHA256: "XSHA256", HashSHA1: "XSHA1", HashMD5: "XMD5", HashCRC32: "XCRC"}

// NewHash returns a local hash.Hash for an algorithm name, so that a local
// copy can be compared with Conn.Hash.
func NewHash(algo string) (hash.Hash, error) {
	switch strings.ToUpper(algo) {
	case HashSHA256:
		return sha256.New(), nil
	case HashSHA1:
		return sha1.New(), nil
	case HashMD5:
		return md5.New(), nil
	case HashCRC32:
		return crc32.NewIEEE(), nil
	}
	return nil, fmt.Errorf("ftp: hash: %w: unknown algorithm %q", ErrInvalidArgument, algo)
}

// HashAlgorithms returns the algorithms the server can compute, best first
// (SHA-256, SHA-1, MD5, CRC32), from HASH or the X commands in FEAT.
func (c *Conn) HashAlgorithms(ctx context.Context) ([]string, error) {
	feats, err := c.Features(ctx)
	if err != nil {
		return nil, err
	}
	offered := strings.ToUpper(feats["HASH"])
	var algos []string
	for _, a := range []string{HashSHA256, HashSHA1, HashMD5, HashCRC32} {
		if hasHashParam(offered, a) || feats.Has(xHashCommand[a]) {
			algos = append(algos, a)
		}
	}
	return algos, nil
}

func hasHashParam(list, algo string) bool {
	for _, p := range strings.Split(list, ";") {
		if strings.TrimSuffix(strings.TrimSpace(p), "*") == algo {
			return true
		}
	}
	return false
}

// Hash asks the server for the checksum of a whole file, lower-case hex:
// with HASH (after OPTS HASH to choose algo) when offered, otherwise with
// the X command for algo. ErrNotSupported when the server has neither.
func (c *Conn) Hash(ctx context.Context, file, algo string) (string, error) {
	return c.HashRange(ctx, file, algo, 0, -1)
}

// HashRange is Hash for the bytes [start, end) of a file; end -1 means the
// end of the file. A partial range is asked with RANG before HASH where
// FEAT lists both, otherwise with the X commands, which take the range as
// arguments.
func (c *Conn) HashRange(ctx context.Context, file, algo string, start, end int64) (string, error) {
	algo = strings.ToUpper(algo)
	if _, ok := xHashCommand[algo]; !ok {
		return "", fmt.Errorf("ftp: HASH: %w: unknown algorithm %q", ErrInvalidArgument, algo)
	}
	if file == "" || start < 0 || (end >= 0 && end < start) {
		return "", fmt.Errorf("ftp: HASH: %w: file %q, range %d-%d", ErrInvalidArgument, file, start, end)
	}
	if err := validateArg("HASH", file); err != nil {
		return "", err
	}
	feats, err := c.Features(ctx)
	if err != nil {
		return "", err
	}
	arg := quoteArg(file)
	whole := start == 0 && end < 0
	ranged := !whole && end > start && feats.Has("RANG")
	if (whole || ranged) && hasHashParam(strings.ToUpper(feats["HASH"]), algo) {
		if c.hashAlgo != algo {
			if _, err := c.cmd(ctx, "OPTS", "HASH "+algo, 2); err != nil {
				return "", err
			}
			c.hashAlgo = algo
		}
		if ranged {
			// draft-bryan-ftp-range: the end is inclusive; the range
			// applies to the next HASH, whose reply names it.
			if _, err := c.cmd(ctx, "RANG", fmt.Sprintf("%d %d", start, end-1), StatusRequestFilePending); err != nil {
				return "", err
			}
		}
		r, err := c.cmd(ctx, "HASH", arg, StatusFile)
		if err != nil {
			return "", err
		}
		// "SHA-256 0-49 3ec2...ad3 name" on the last line.
		lines := r.Lines()
		fields := strings.Fields(lines[len(lines)-1])
		if len(fields) < 3 || !isHex(fields[2]) {
			return "", &ProtocolError{Command: "HASH " + file, Reason: "213 reply without a hash", Line: shorten(r.Message)}
		}
		if ranged && fields[1] != fmt.Sprintf("%d-%d", start, end-1) {
			return "", &ProtocolError{Command: "HASH " + file, Reason: fmt.Sprintf("213 reply for the range %s, not %d-%d", fields[1], start, end-1), Line: shorten(r.Message)}
		}
		return strings.ToLower(fields[2]), nil
	}
	verb := xHashCommand[algo]
	if !feats.Has(verb) {
		return "", fmt.Errorf("ftp: %s: %w", verb, ErrNotSupported)
	}
	if !whole {
		arg += " " + strconv.FormatInt(start, 10)
		if end >= 0 {
			arg += " " + strconv.FormatInt(end, 10)
		}
	}
	r, err := c.cmd(ctx, verb, arg, 2)
	if err != nil {
		return "", err
	}
	// The hash is the last word of the last line ("213 3ec2...", or after
	// a first line that says what is being computed).
	lines := r.Lines()
	fields := strings.Fields(lines[len(lines)-1])
	for i := len(fields) - 1; i >= 0; i-- {
		if isHex(fields[i]) && len(fields[i]) >= 8 {
			return strings.ToLower(fields[i]), nil
		}
	}
	return "", &ProtocolError{Command: verb + " " + file, Reason: "reply without a hash", Line: shorten(r.Message)}
}

// quoteArg quotes a path with spaces the way HASH and the X commands read
// their space-separated arguments.
func quoteArg(p string) string {
	if !strings.ContainsAny(p, " \"") {
		return p
	}
	return `"` + strings.ReplaceAll(p, `"`, `\"`) + `"`
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil || (len(s)%2 == 1 && strings.Trim(s, "0123456789abcdefABCDEF") == "")
}
