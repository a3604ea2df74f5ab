// Secrets kept out of what ftpc prints: URLs with their passwords hidden,
// accounts masked in errors and in the --debug log.

package main

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
)

// redactURL returns raw with the password of its user information
// replaced by "xxxxx", as net/url's URL.Redacted does, but working on the
// text, so that it also serves URLs that do not parse. Where the text is
// ambiguous it hides more: when the host part has a ':' and an '@' comes
// later ("ftp://alice:pa?ss@host/", whose password holds an unescaped '?',
// '#' or '/'), everything up to the last '@' is taken for user
// information. Without "//" ("ftp:alice:pw@host", "user:pw@proxy") all of
// the user information is hidden.
func redactURL(raw string) string {
	start := 0
	if j := strings.IndexByte(raw, ':'); j > 0 && isScheme(raw[:j]) {
		start = j + 1
	}
	if strings.HasPrefix(raw[start:], "//") {
		start += 2
		return raw[:start] + redactAuthority(raw[start:], true)
	}
	return raw[:start] + redactAuthority(raw[start:], false)
}

// urlError explains why url.Parse refused a URL, shown redacted. Go's
// message quotes the URL, and its detail may quote part of the password (a
// bad escape in it, or the start of a password holding an unescaped '/',
// '?' or '#', taken for a port), so the redacted URL is parsed again: the
// error it gives cannot hold the password, and if it parses, the fault was
// in the user information.
func urlError(shown string) error {
	_, err := url.Parse(shown)
	var ue *url.Error
	if errors.As(err, &ue) {
		return usagef("bad URL %q: %v", shown, ue.Err)
	}
	return usagef("bad URL %q: malformed user name or password (write '%%' as %%25, '/' as %%2F, '?' as %%3F, '#' as %%23, '@' as %%40 and ':' as %%3A)", shown)
}

// redactAuthority hides the password in rest, the URL from its authority
// on; keepUser keeps the user name before the first ':'.
func redactAuthority(rest string, keepUser bool) string {
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndexByte(rest[:end], '@')
	if at < 0 {
		if !strings.Contains(rest[:end], ":") {
			return rest
		}
		if at = strings.LastIndexByte(rest, '@'); at < 0 {
			return rest
		}
	}
	if !keepUser {
		return "xxxxx" + rest[at:]
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return rest
	}
	return user + ":xxxxx" + rest[at:]
}

// isScheme reports whether s is a URL scheme: a letter, then letters,
// digits, '+', '-' and '.'.
func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isSchemeChar(s[i]) || i == 0 && !isLetter(s[i]) {
			return false
		}
	}
	return s != ""
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isSchemeChar(c byte) bool {
	return isLetter(c) || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'
}

// redactURLs applies redactURL to every "scheme://" URL in text, such as
// a message that quotes one (Go's own url.Error, the flag package's
// "invalid value"). A URL ends at white space, or, when a double quote
// opens it, at the closing quote.
func redactURLs(text string) string {
	if !strings.Contains(text, "://") {
		return text
	}
	var b strings.Builder
	for rest := text; ; {
		i := strings.Index(rest, "://")
		if i < 0 {
			b.WriteString(rest)
			return b.String()
		}
		start := i
		for start > 0 && isSchemeChar(rest[start-1]) {
			start--
		}
		end := i + 3
		if start > 0 && rest[start-1] == '"' {
			for end < len(rest) && rest[end] != '"' {
				if rest[end] == '\\' {
					end++
				}
				end++
			}
			end = min(end, len(rest))
		} else {
			for end < len(rest) && !isSpace(rest[end]) {
				end++
			}
		}
		b.WriteString(rest[:start])
		b.WriteString(redactURL(rest[start:end]))
		rest = rest[end:]
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// maskAccounts returns msg with the accounts (ACCT arguments) hidden as
// the library hides PASS: "ACCT x" becomes "ACCT ****", and the quoted
// account of an argument error becomes "****".
func maskAccounts(msg string, accounts []string) string {
	for _, a := range accounts {
		if a == "" {
			continue
		}
		msg = strings.ReplaceAll(msg, "ACCT "+a, "ACCT ****")
		msg = strings.ReplaceAll(msg, strconv.Quote(a), `"****"`)
	}
	return msg
}

// accountMasker is a slog.Handler that hides the argument of ACCT in the
// commands the library logs (attribute "send"), as it hides that of PASS.
type accountMasker struct{ slog.Handler }

func (h accountMasker) Handle(ctx context.Context, r slog.Record) error {
	secret := false
	r.Attrs(func(a slog.Attr) bool {
		_, secret = maskAttr(a)
		return !secret
	})
	if !secret {
		return h.Handler.Handle(ctx, r)
	}
	masked := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		a, _ = maskAttr(a)
		masked.AddAttrs(a)
		return true
	})
	return h.Handler.Handle(ctx, masked)
}

func (h accountMasker) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		out[i], _ = maskAttr(a)
	}
	return accountMasker{h.Handler.WithAttrs(out)}
}

func (h accountMasker) WithGroup(name string) slog.Handler {
	return accountMasker{h.Handler.WithGroup(name)}
}

// maskAttr returns a with an "ACCT x" command masked, and whether it was.
func maskAttr(a slog.Attr) (slog.Attr, bool) {
	v := a.Value.Resolve()
	if a.Key != "send" || v.Kind() != slog.KindString {
		return a, false
	}
	s := v.String()
	if len(s) > 5 && strings.EqualFold(s[:5], "ACCT ") {
		return slog.String(a.Key, s[:4]+" ****"), true
	}
	return a, false
}
