package ftpfs_test

import (
	"context"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/ftpfs"
	"github.com/seed362563c3/ftp/ftptest"
)

func ExampleNew() {
	srv, err := ftptest.Start(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	os.MkdirAll(filepath.Join(srv.Root, "docs/a"), 0o755)
	os.WriteFile(filepath.Join(srv.Root, "docs/a/x.md"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(srv.Root, "docs/y.md"), []byte("y"), 0o644)
	p := ftp.NewPool(srv.Addr, srv.Config(), nil)
	defer p.Close()

	fsys := ftpfs.New(context.Background(), p, "/docs")
	matches, err := fs.Glob(fsys, "*/*.md")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(matches)
	// Output: [a/x.md]
}
