package mirror_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/ftptest"
	"github.com/seed362563c3/ftp/mirror"
)

func ExampleDown() {
	srv, err := ftptest.Start(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	os.MkdirAll(filepath.Join(srv.Root, "site/img"), 0o755)
	os.WriteFile(filepath.Join(srv.Root, "site/index.html"), []byte("<h1>hi</h1>"), 0o644)
	os.WriteFile(filepath.Join(srv.Root, "site/img/logo.svg"), []byte("<svg/>"), 0o644)
	local, _ := os.MkdirTemp("", "mirror-example-")
	defer os.RemoveAll(local)

	p := ftp.NewPool(srv.Addr, srv.Config(), &ftp.PoolOptions{MaxOpen: 4})
	defer p.Close()
	st, err := mirror.Down(context.Background(), p, "/site", local, &mirror.Options{Parallel: 4})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(st.Files, st.Dirs)

	// Again: nothing changed, nothing moves.
	st, err = mirror.Down(context.Background(), p, "/site", local, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(st.Files, st.Unchanged)
	// Output:
	// 2 1
	// 0 2
}

func ExampleFilter() {
	srv, err := ftptest.Start(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	for _, name := range []string{"logs/app.log", "logs/app.log.tmp", "logs/cache/x.bin", "logs/2025/old.log"} {
		p := filepath.Join(srv.Root, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(name), 0o644)
	}
	local, _ := os.MkdirTemp("", "filter-example-")
	defer os.RemoveAll(local)

	p := ftp.NewPool(srv.Addr, srv.Config(), nil)
	defer p.Close()
	// Leave out temporary files and every cache directory (never listed),
	// and go no deeper than the top directory's files.
	opts := &mirror.Options{Filter: &mirror.Filter{Exclude: []string{"*.tmp", "cache/**"}, MaxDepth: 1}}
	st, err := mirror.Down(context.Background(), p, "/logs", local, opts)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(st.Files, "file;", st.Excluded, "left out")
	// Output: 1 file; 3 left out
}
