// Package testreport lets tests leave a summary (a matrix, a trial count,
// a seed) where CI prints it: go test shows a passing package's output only
// with -v, and CI runs the README's test command as it is.
package testreport

import (
	"fmt"
	"os"
	"sync"
)

// Env names the file that summaries are appended to; unset, Add does
// nothing.
const Env = "FTP_TEST_REPORT"

var mu sync.Mutex

// Add appends a titled block to the report file, if there is one.
func Add(title, text string) {
	name := os.Getenv(Env)
	if name == "" {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testreport: %v\n", err)
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "== %s\n%s\n", title, text)
}
