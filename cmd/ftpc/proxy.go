// Choosing a proxy: --proxy, else the environment as curl reads it.

package main

import (
	"context"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/seed362563c3/ftp/ftpproxy"
)

// optionalString is a string flag that remembers whether it was given, so
// that --proxy "" can turn the environment's proxy off.
type optionalString struct {
	value string
	set   bool
}

func (s *optionalString) String() string {
	if s == nil {
		return ""
	}
	return s.value
}

func (s *optionalString) Set(v string) error {
	s.value, s.set = v, true
	return nil
}

// proxyEnv lists the variables naming a proxy for a URL scheme, in the
// order curl reads them.
func proxyEnv(scheme string) []string {
	own := "ftp_proxy"
	if scheme == "ftps" {
		own = "ftps_proxy"
	}
	return []string{own, strings.ToUpper(own), "all_proxy", "ALL_PROXY"}
}

// proxyFor returns the proxy URL for t and where it came from, or "" for
// a direct connection: --proxy when given ("" is none), else the first
// of ftp_proxy (ftps_proxy for ftps://), FTP_PROXY, all_proxy and
// ALL_PROXY that is set, unless no_proxy (or NO_PROXY) names the host.
func (s *session) proxyFor(t *target) (raw, source string) {
	if s.opts.proxy.set {
		return s.opts.proxy.value, "--proxy"
	}
	for _, name := range proxyEnv(t.scheme) {
		if v := os.Getenv(name); v != "" {
			raw, source = v, name
			break
		}
	}
	if raw == "" {
		return "", ""
	}
	noProxy := os.Getenv("no_proxy")
	if noProxy == "" {
		noProxy = os.Getenv("NO_PROXY")
	}
	if noProxyMatch(noProxy, t.host) {
		return "", ""
	}
	return raw, source
}

// noProxyMatch reports whether host is named in a no_proxy list: "*",
// host names (which also cover their subdomains; a leading dot is
// allowed), IP addresses and CIDR ranges, separated by commas or spaces.
func noProxyMatch(list, host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	ip := net.ParseIP(host)
	for _, item := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		item = strings.ToLower(item)
		if item == "*" {
			return true
		}
		if ip != nil {
			if _, cidr, err := net.ParseCIDR(item); err == nil {
				if cidr.Contains(ip) {
					return true
				}
				continue
			}
			if other := net.ParseIP(strings.Trim(item, "[]")); other != nil && other.Equal(ip) {
				return true
			}
			continue
		}
		item = strings.TrimSuffix(strings.TrimPrefix(item, "."), ".")
		if item != "" && (host == item || strings.HasSuffix(host, "."+item)) {
			return true
		}
	}
	return false
}

// proxyDialer turns a proxy URL into a Config.DialContext. A URL without
// a scheme is an HTTP proxy, as with curl.
func proxyDialer(raw, source string) (func(ctx context.Context, network, addr string) (net.Conn, error), error) {
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		// The message of a url.Error repeats the URL, password and all.
		return nil, usagef("proxy from %s: not a URL", source)
	}
	dial, err := ftpproxy.Dialer(u, nil)
	if err != nil {
		return nil, usagef("proxy from %s: %v", source, err)
	}
	return dial, nil
}
