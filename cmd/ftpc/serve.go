// ftpc serve: the embedded server on its own, for experiments, benchmarks
// and a client under test in another process.

package main

import (
	"context"
	"fmt"
	"os"

	"github.com/seed362563c3/ftp/internal/embedded"
)

// cmdServe serves DIR until the context ends (Ctrl-C).
func cmdServe(ctx context.Context, s *session, args []string) error {
	fi, err := os.Stat(args[0])
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return usagef("serve: %s is not a directory", args[0])
	}
	srv, err := embedded.Start(embedded.Options{
		Root: args[0], Listen: s.opts.listen,
		User: s.opts.serveUser, Password: os.Getenv("FTP_PASSWORD"),
		EnableHASH: true,
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintf(s.stdout, "serving %s on ftp://%s/\n", args[0], srv.Addr)
	<-ctx.Done()
	return nil
}
