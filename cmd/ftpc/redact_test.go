package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestURLErrorsHidePassword: every error about a URL shows it with the
// password replaced, as net/url's Redacted does, whatever is wrong with
// it, and Go's own parse errors do not leak the password either.
func TestURLErrorsHidePassword(t *testing.T) {
	tests := []struct {
		args   []string
		secret string // none of it may be printed
		shown  string // what the message shows of the URL, "" for nothing
	}{
		{[]string{"size", "ftp://alice:S3cretPW!@127.0.0.1:99999/f"}, "S3cretPW", "ftp://alice:xxxxx@127.0.0.1:99999/f"},
		{[]string{"size", "ftp://alice:S3cretPW!@127.0.0.1/f?x"}, "S3cretPW", "ftp://alice:xxxxx@127.0.0.1/f?x"},
		{[]string{"size", "ftp://alice:S3cretPW!@127.0.0.1/f#x"}, "S3cretPW", "ftp://alice:xxxxx@127.0.0.1/f#x"},
		{[]string{"size", "ftp://alice:S3cretPW!@/f"}, "S3cretPW", "ftp://alice:xxxxx@/f"},
		{[]string{"size", "//alice:S3cretPW!@127.0.0.1/f"}, "S3cretPW", "//alice:xxxxx@127.0.0.1/f"},
		{[]string{"size", "ftp:alice:S3cretPW!@127.0.0.1/f"}, "S3cretPW", "ftp:xxxxx@127.0.0.1/f"},
		// Go's url.Parse errors repeat the URL.
		{[]string{"size", "ftp://alice:S3cretPW!@127.0.0.1/%zz"}, "S3cretPW", "ftp://alice:xxxxx@127.0.0.1/%zz"},
		{[]string{"size", "ftp://alice:S3cretPW!@127.0.0.1:2x/f"}, "S3cretPW", "ftp://alice:xxxxx@127.0.0.1:2x/f"},
		{[]string{"size", "ftp://alice:S3cret PW@127.0.0.1/f"}, "S3cret", "ftp://alice:xxxxx@127.0.0.1/f"},
		// ... and their details may quote the password itself: a bad
		// escape in it, or a '/', '?' or '#' left unescaped, which makes
		// the start of the password look like a port.
		{[]string{"size", "ftp://alice:S3c%zzretPW@127.0.0.1/f"}, "zzretPW", "ftp://alice:xxxxx@127.0.0.1/f"},
		{[]string{"size", "ftp://alice:S3c?retPW@127.0.0.1/f"}, "S3c", "ftp://alice:xxxxx@127.0.0.1/f"},
		{[]string{"size", "ftp://alice:S3c#retPW@127.0.0.1/f"}, "S3c", "ftp://alice:xxxxx@127.0.0.1/f"},
		{[]string{"size", "ftp://alice:S3c/retPW@127.0.0.1/f"}, "S3c", "ftp://alice:xxxxx@127.0.0.1/f"},
		{[]string{"size", "ftp://alice:123?retPW@127.0.0.1/f"}, "retPW", "ftp://alice:xxxxx@127.0.0.1/f"},
		// The second URL of mv, and a URL taken as a flag's value.
		{[]string{"mv", "ftp://127.0.0.1/a", "ftp://alice:S3cretPW!@127.0.0.1:0/b"}, "S3cretPW", "ftp://alice:xxxxx@127.0.0.1:0/b"},
		{[]string{"size", "--timeout", "ftp://alice:S3cretPW!@127.0.0.1/f"}, "S3cretPW", "ftp://alice:xxxxx@127.0.0.1/f"},
		{[]string{"mirror", "ftp://alice:S3cretPW!@127.0.0.1/d?", "dir"}, "S3cretPW", "ftp://alice:xxxxx@127.0.0.1/d?"},
		{[]string{"put", "local", "ftp://alice:S3cretPW!@/d"}, "S3cretPW", "ftp://alice:xxxxx@/d"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := ftpc(tt.args...)
			requireOneLineError(t, r, exitUsage)
			assert.NotContains(t, r.stderr, tt.secret)
			assert.NotContains(t, r.stdout, tt.secret)
			if tt.shown != "" {
				assert.Contains(t, r.stderr, tt.shown)
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	for raw, want := range map[string]string{
		"ftp://h/x":                   "ftp://h/x",
		"ftp://alice@h/x":             "ftp://alice@h/x",
		"ftp://alice:pw@h/x":          "ftp://alice:xxxxx@h/x",
		"ftp://alice:@h/x":            "ftp://alice:xxxxx@h/x",
		"ftp://al%40ce:p@ss@h:21/x@y": "ftp://al%40ce:xxxxx@h:21/x@y",
		"ftp://h/a@b":                 "ftp://h/a@b",
		// "h:21" might be "user:pass" whose pass holds a '/': hidden.
		"ftp://h:21/a@b":          "ftp://h:xxxxx@b",
		"ftp://alice:12/34@h/x":   "ftp://alice:xxxxx@h/x",
		"FTPES://a:b@h":           "FTPES://a:xxxxx@h",
		"socks5://u:p@proxy:1080": "socks5://u:xxxxx@proxy:1080",
		"u:p@proxy:1080":          "u:xxxxx@proxy:1080",
		"ftp:alice:pw@h/x":        "ftp:xxxxx@h/x",
		"not a url":               "not a url",
		"ftp://alice:xxxxx@h/":    "ftp://alice:xxxxx@h/",
	} {
		assert.Equal(t, want, redactURL(raw), raw)
	}
	// In running text every URL is redacted, and only URLs.
	assert.Equal(t, `bad "ftp://a:xxxxx@h/x" and ftp://b:xxxxx@g, not user:pass@ here`,
		redactURLs(`bad "ftp://a:pw@h/x" and ftp://b:pw2@g, not user:pass@ here`))
}

// TestNetrcErrorsHideTokens: a netrc parse error names the file and line,
// never a token of it: the word after an unquoted password with a space
// is the rest of that password.
func TestNetrcErrorsHideTokens(t *testing.T) {
	for _, text := range []string{
		"machine 127.0.0.1 login alice password my S3cretPW\n",
		"machine 127.0.0.1 login alice password \"x\" \"S3cretPW\"\n",
		"machine 127.0.0.1 login alice password \"S3cretPW\n",
	} {
		name := writeNetrc(t, text)
		r := ftpc("ls", "ftp://127.0.0.1:1/")
		requireOneLineError(t, r, exitError)
		assert.Contains(t, r.stderr, name+":1:")
		assert.NotContains(t, r.stderr, "S3cretPW")
	}
}

// accountServer asks for an account after the password and refuses the
// one it gets, echoing nothing of it.
func accountServer(t *testing.T) *scriptedServer {
	return startScripted(t, "220 accounts", func(verb, arg string) string {
		switch verb {
		case "USER":
			return "331 password"
		case "PASS":
			return "332 account please"
		case "ACCT":
			return "530 account refused"
		}
		return "502 no"
	})
}

// TestAccountNeverShown: a netrc account is a second password: ftpc's
// errors and --debug log mask it as they mask PASS.
func TestAccountNeverShown(t *testing.T) {
	srv := accountServer(t)
	host, _, _ := strings.Cut(srv.addr, ":")
	writeNetrc(t, "machine "+host+" login alice password pw account S3cretACCT\n")
	for _, args := range [][]string{
		{"size", "ftp://" + srv.addr + "/f"},
		{"--debug", "size", "ftp://" + srv.addr + "/f"},
		{"--debug", "ls", "ftp://" + srv.addr + "/"},
	} {
		r := ftpc(args...)
		require.Equal(t, exitLogin, r.code, r.stderr)
		assert.Contains(t, r.stderr, "530 account refused")
		assert.Contains(t, r.stderr, "ACCT ****")
		assert.NotContains(t, r.stderr, "S3cretACCT", "%v", args)
	}
	assert.Contains(t, srv.received(), "ACCT S3cretACCT", "the account was sent")
}
