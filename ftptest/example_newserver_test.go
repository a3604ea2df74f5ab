package ftptest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/ftptest"
)

// publish is the code under test, in your package: it uploads a report to
// the FTP server at addr.
func publish(ctx context.Context, addr string, cfg *ftp.Config, report string) error {
	c, err := ftp.Dial(ctx, addr, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	w, err := c.Store(ctx, "report.txt")
	if err != nil {
		return err
	}
	_, err = w.Send(strings.NewReader(report))
	return err
}

// testPublish is the test, TestPublish in your package: it publishes to a
// server that requires TLS and reads what arrived from disk.
func testPublish(t *testing.T) {
	srv := ftptest.NewServer(t, &ftptest.Options{TLS: ftptest.TLSExplicit})

	if err := publish(t.Context(), srv.Addr, srv.Config(), "all good\n"); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(srv.Root, "report.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "all good\n" {
		t.Errorf("the server received %q", got)
	}
}

// ExampleNewServer shows a test of your own code: NewServer needs the
// test's testing.TB, which closes the server when the test ends. This
// package's tests run testPublish.
func ExampleNewServer() {}
