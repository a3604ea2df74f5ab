// What the transcript tests of this package add to internal/fakeftp: a
// client Config for the fake server and a dial that logs in.

package ftp

import (
	"testing"
	"time"

	"github.com/seed362563c3/ftp/internal/fakeftp"
)

// fakeConfig is the Config of most transcript tests: user u, password p,
// and timeouts short enough that a broken script cannot hang a test.
func fakeConfig() *Config {
	return &Config{User: "u", Password: "p", ReplyTimeout: 5 * time.Second, DialTimeout: 5 * time.Second}
}

// dialFake connects to srv and logs in; the Conn is closed when the test
// ends (before the server is stopped).
func dialFake(t testing.TB, srv *fakeftp.Server, cfg *Config) *Conn {
	t.Helper()
	if cfg == nil {
		cfg = fakeConfig()
	}
	c, err := Dial(fakeftp.Ctx(t), srv.Addr, cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
