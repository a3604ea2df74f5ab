package interop

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/seed362563c3/ftp"
	"github.com/seed362563c3/ftp/internal/realservers"
)

const (
	// ftpUser is the local account every server logs the suite in as.
	ftpUser = realservers.User
	// dataSize is the size of the file each cell uploads and downloads.
	dataSize = 8 << 20
)

// inCI reports whether a missing server is a failure rather than a skip.
func inCI() bool { return os.Getenv("CI") == "true" }

// missing skips the test for lack of what, or fails it under CI=true.
func missing(t *testing.T, what string) {
	t.Helper()
	msg := fmt.Sprintf("%s is missing (run .ci/install-servers.sh as root)", what)
	if inCI() {
		t.Fatalf("%s; CI=true makes this a failure", msg)
	}
	t.Skip(msg)
}

// env is what every server shares (the local user, its password, the
// certificate: realservers.Env) and the data the cells transfer. It is
// made once.
type env struct {
	*realservers.Env
	data     []byte
	dataFile string
	dataSum  [32]byte
}

var (
	envOnce   sync.Once
	sharedEnv *env
	envErr    error
	envMiss   string // what is missing, when envErr is not a failure

	cleanupMu sync.Mutex
	cleanups  []func()
)

// atExit registers f to run when TestMain ends.
func atExit(f func()) {
	cleanupMu.Lock()
	cleanups = append(cleanups, f)
	cleanupMu.Unlock()
}

func runAtExit() {
	cleanupMu.Lock()
	defer cleanupMu.Unlock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	cleanups = nil
}

// getEnv returns the shared environment, skipping or failing t when it
// cannot be made.
func getEnv(t *testing.T) *env {
	t.Helper()
	envOnce.Do(func() { sharedEnv, envMiss, envErr = newEnv() })
	if envMiss != "" {
		missing(t, envMiss)
	}
	if envErr != nil {
		t.Fatalf("setting up the interop environment: %v", envErr)
	}
	return sharedEnv
}

func newEnv() (e *env, miss string, err error) {
	re, err := realservers.NewEnv()
	if what, ok := realservers.IsMissing(err); ok {
		return nil, what, nil
	}
	if err != nil {
		return nil, "", err
	}
	atExit(func() { re.Close() })
	e = &env{Env: re}
	e.data = make([]byte, dataSize)
	if _, err := rand.Read(e.data); err != nil {
		return nil, "", err
	}
	e.dataSum = sha256.Sum256(e.data)
	e.dataFile = filepath.Join(re.Dir, "data.bin")
	if err := os.WriteFile(e.dataFile, e.data, 0o644); err != nil {
		return nil, "", err
	}
	return e, "", nil
}

// send uploads r through the Writer that a Store, StoreFrom or Append
// call returned, and says what the server confirmed (Writer.Send).
func send(w *ftp.Writer, err error) func(io.Reader) (int64, error) {
	return func(r io.Reader) (int64, error) {
		if err != nil {
			return 0, err
		}
		return w.Send(r)
	}
}
