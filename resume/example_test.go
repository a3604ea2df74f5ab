package resume_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/ftptest"
	"github.com/seed362563c3/ftp/resume"
)

func ExampleUploadFile() {
	srv, err := ftptest.Start(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	local := filepath.Join(os.TempDir(), "example-upload.txt")
	os.WriteFile(local, []byte("resumable and verified\n"), 0o644)
	defer os.Remove(local)

	p := ftp.NewPool(srv.Addr, srv.Config(), nil)
	defer p.Close()
	res, err := resume.UploadFile(ctx, p, local, "backup.txt", &resume.Options{Retries: 5})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Size, res.Attempts, res.Verified)
	// Output: 23 1 size
}
