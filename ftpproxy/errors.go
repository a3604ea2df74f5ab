// Errors of the proxy dialer.

package ftpproxy

import "strconv"

// Error reports that a proxy did not open a tunnel.
type Error struct {
	// Proxy is the proxy's URL, with any password redacted.
	Proxy string
	// Target is the host:port the proxy was asked to reach.
	Target string
	// StatusCode and Status are those of an HTTP proxy's refusal, such as
	// 407 and "407 Proxy Authentication Required"; zero and empty for
	// other failures.
	StatusCode int
	Status     string
	// Err is the cause: the dial or handshake error, or the context's
	// error when the context ended first. Nil for an HTTP refusal.
	Err error
}

func (e *Error) Error() string {
	s := "ftp: proxy " + e.Proxy + ": tunnel to " + e.Target
	if e.Status != "" {
		s += ": refused with " + strconv.Quote(e.Status)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }
