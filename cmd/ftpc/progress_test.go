package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed362563c3/ftp/internal/embedded"
)

// fakeTerminal makes ftpc take any standard error for a terminal.
func fakeTerminal(t *testing.T) {
	t.Helper()
	old := isTerminal
	isTerminal = func(io.Writer) bool { return true }
	t.Cleanup(func() { isTerminal = old })
}

// progressLines checks that every line of stderr is a progress line for
// label and returns them.
func progressLines(t *testing.T, stderr, label string) []string {
	t.Helper()
	require.NotEmpty(t, stderr)
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		if !strings.HasPrefix(l, "ftpc: "+label+": resuming at ") {
			lines = append(lines, l)
		}
	}
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(label) + `: \d+(\.\d)? (B|KiB|MiB) / \d+(\.\d)? (B|KiB|MiB) \(\d+%\) \d+(\.\d)? (B|KiB|MiB|GiB)/s$`)
	for _, l := range lines {
		assert.Regexp(t, re, l)
	}
	return lines
}

func TestProgressLines(t *testing.T) {
	srv, err := embedded.Start(embedded.Options{User: testUser, Password: testPassword, Root: t.TempDir(), EnableHASH: true})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	base := "ftp://" + testUser + ":s3cr%23t%20p%40ss@" + srv.Addr + "/"
	data := randomBytes(3<<20, 41)
	writeFile(t, filepath.Join(srv.Root, "big.bin"), data)
	dir := t.TempDir()
	local := filepath.Join(dir, "big.bin")

	for _, args := range [][]string{
		{"get", "--progress", base + "big.bin", local},
		{"get", "--progress", "--segments", "3", base + "big.bin", local},
		{"get", "--progress", "--retries", "1", base + "big.bin", local},
		{"--progress", "get", "--verify", base + "big.bin", local},
	} {
		t.Run(strings.Join(args[:len(args)-2], " "), func(t *testing.T) {
			r := ftpc(args...)
			require.Equal(t, 0, r.code, r.stderr)
			lines := progressLines(t, r.stderr, "get big.bin")
			assert.Contains(t, lines[len(lines)-1], "get big.bin: 3.0 MiB / 3.0 MiB (100%) ")
			assert.True(t, bytes.Equal(data, readFile(t, local)))
		})
	}

	// To standard output.
	r := ftpc("get", "--progress", base+"big.bin", "-")
	require.Equal(t, 0, r.code, r.stderr)
	assert.True(t, bytes.Equal(data, []byte(r.stdout)))
	progressLines(t, r.stderr, "get big.bin")

	// Resumed: the count starts from what the local file holds.
	writeFile(t, local, data[:1<<20])
	r = ftpc("get", "--progress", "--resume", base+"big.bin", local)
	require.Equal(t, 0, r.code, r.stderr)
	lines := progressLines(t, r.stderr, "get big.bin")
	assert.Contains(t, lines[len(lines)-1], "3.0 MiB / 3.0 MiB (100%)")
	assert.Contains(t, r.stderr, "ftpc: get big.bin: resuming at 1048576 bytes (33%)\n")
	assert.True(t, bytes.Equal(data, readFile(t, local)))

	// put, plain and resumed.
	for _, args := range [][]string{
		{"put", "--progress", local, base + "up.bin"},
		{"put", "--progress", "--verify", local, base + "up.bin"},
		{"put", "--progress", "--resume", local, base + "part.bin"},
	} {
		writeFile(t, filepath.Join(srv.Root, "part.bin"), data[:1000])
		r := ftpc(args...)
		require.Equal(t, 0, r.code, r.stderr)
		lines := progressLines(t, r.stderr, "put "+filepath.Base(args[len(args)-1]))
		assert.Contains(t, lines[len(lines)-1], "3.0 MiB / 3.0 MiB (100%)")
		assert.True(t, bytes.Equal(data, readFile(t, filepath.Join(srv.Root, filepath.Base(args[len(args)-1])))))
	}
}

func TestProgressMirrorLines(t *testing.T) {
	srv, base := startServer(t)
	makeTree(t, filepath.Join(srv.Root, "tree"))
	want := treeOf(t, filepath.Join(srv.Root, "tree"))
	local := filepath.Join(t.TempDir(), "copy")
	r := ftpc("mirror", "--progress", base+"tree", local)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, want, treeOf(t, local))
	for name, content := range want {
		if strings.HasSuffix(name, "/") || content == "" {
			continue // directories, and empty files: no bytes to report
		}
		assert.Regexp(t, `(?m)^get `+regexp.QuoteMeta(name)+`: .* \(100%\)`, r.stderr)
	}
	for _, l := range strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n") {
		// Files moved in one step have no speed to show.
		assert.Regexp(t, `^get [a-z/]+file\d\d\.bin: [\d.]+ (B|KiB) / [\d.]+ (B|KiB) \(100%\)( [\d.]+ (B|KiB|MiB|GiB)/s)?$`, l)
	}

	r = ftpc("mirror", "--reverse", "--progress", local, base+"up")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `(?m)^put b/file02\.bin: .* \(100%\)`, r.stderr)
}

func TestProgressDefaultIsSilentOffATerminal(t *testing.T) {
	srv, base := startServer(t)
	writeFile(t, filepath.Join(srv.Root, "f.bin"), randomBytes(100000, 5))
	makeTree(t, filepath.Join(srv.Root, "tree"))
	dir := t.TempDir()
	for _, args := range [][]string{
		{"get", base + "f.bin", filepath.Join(dir, "f.bin")},
		{"get", "--segments", "2", base + "f.bin", filepath.Join(dir, "f.bin")},
		{"put", filepath.Join(dir, "f.bin"), base + "g.bin"},
		{"mirror", base + "tree", filepath.Join(dir, "tree")},
		{"mirror", "--reverse", filepath.Join(dir, "tree"), base + "tree2"},
	} {
		requireOK(t, ftpc(args...))
	}

	// On a terminal, --no-progress and --progress=false silence the bars.
	fakeTerminal(t)
	for _, flag := range []string{"--no-progress", "--progress=false"} {
		requireOK(t, ftpc("get", flag, base+"f.bin", filepath.Join(dir, "f.bin")))
		requireOK(t, ftpc(flag, "mirror", base+"tree", filepath.Join(dir, "tree3")))
	}
}

// TestProgressBars draws the bars into a buffer taken for a terminal.
func TestProgressBars(t *testing.T) {
	srv, base := startServer(t)
	data := randomBytes(2<<20, 43)
	writeFile(t, filepath.Join(srv.Root, "big.bin"), data)
	makeTree(t, filepath.Join(srv.Root, "tree"))
	want := treeOf(t, filepath.Join(srv.Root, "tree"))
	dir := t.TempDir()
	fakeTerminal(t)

	r := ftpc("get", base+"big.bin", filepath.Join(dir, "a.bin"))
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "get big.bin")
	assert.Contains(t, r.stderr, "100 %")
	assert.True(t, bytes.Equal(data, readFile(t, filepath.Join(dir, "a.bin"))))

	r = ftpc("get", "--segments", "4", "--debug", base+"big.bin", filepath.Join(dir, "b.bin"))
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "ftp command") // the log, printed above the bar
	assert.True(t, bytes.Equal(data, readFile(t, filepath.Join(dir, "b.bin"))))

	r = ftpc("put", filepath.Join(dir, "b.bin"), base+"c.bin")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "put c.bin")

	r = ftpc("mirror", "--parallel", "3", base+"tree", filepath.Join(dir, "tree"))
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, want, treeOf(t, filepath.Join(dir, "tree")))

	// A failure leaves the process free to end.
	r = ftpc("get", base+"missing", filepath.Join(dir, "m.bin"))
	requireOneLineError(t, r, exitNotFound)
}

// within fails the test if fn does not return in time.
func within(t *testing.T, d time.Duration, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { fn(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatal("did not return")
	}
}

func TestTrackerBarsEnd(t *testing.T) {
	var buf bytes.Buffer
	p := &progress{bars: true, out: &errWriter{raw: &buf}}
	ok := p.start("get ok", 100, 0, false)
	failed := p.start("get failed", 100, 0, false)
	unknown := p.start("get unknown", -1, 0, false)
	empty := p.start("get empty", 0, 0, false)
	mp := newMirrorProgress(p, "get")
	mp.report("dir/half", 50, 200)
	mp.report("dir/whole", 10, 10)
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() { defer wg.Done(); ok.update(int64(i*10), -1) }()
	}
	wg.Wait()
	failed.update(40, -1)
	unknown.update(5000, -1)
	ok.finish(nil)
	failed.finish(errors.New("cut"))
	unknown.finish(nil)
	empty.finish(nil)
	mp.end()
	within(t, 10*time.Second, p.wait)
	assert.Contains(t, buf.String(), "failed")
}

func TestTrackerLines(t *testing.T) {
	var buf bytes.Buffer
	p := &progress{out: &errWriter{raw: &buf}}
	tr := p.start("get x", 10<<20, 0, false)
	tr.update(1<<20, -1)
	assert.Empty(t, buf.String(), "no line before a second has passed")
	tr.begin = tr.begin.Add(-2 * time.Second)
	tr.last = tr.last.Add(-2 * time.Second)
	tr.update(5<<20, -1)
	tr.update(6<<20, -1) // within the second: no line
	tr.update(4<<20, -1) // out of order: ignored
	tr.finish(errors.New("cut"))
	tr.update(7<<20, -1) // after the end: ignored
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	require.Len(t, lines, 2, buf.String())
	assert.Regexp(t, `^get x: 5\.0 MiB / 10\.0 MiB \(50%\) 2\.\d MiB/s$`, lines[0])
	assert.Regexp(t, `^get x: 6\.0 MiB / 10\.0 MiB \(60%\) \d\.\d MiB/s, failed$`, lines[1])

	buf.Reset()
	tr = p.start("put y", -1, 0, false)
	tr.update(999, -1)
	tr.finish(nil)
	assert.Regexp(t, `^put y: 999 B \d+(\.\d)? (B|KiB|MiB|GiB)/s\n$`, buf.String())

	var nilTracker *tracker
	nilTracker.update(1, 2)
	nilTracker.finish(nil)
	assert.Nil(t, nilTracker.callback())
	var nilProgress *progress
	assert.Nil(t, nilProgress.start("x", 1, 0, false))
	nilProgress.wait()
}

func TestProgressFlag(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want progressMode
	}{
		{nil, progressAuto},
		{[]string{"--progress"}, progressOn},
		{[]string{"--progress=true"}, progressOn},
		{[]string{"--progress=false"}, progressOff},
		{[]string{"--no-progress"}, progressOff},
		{[]string{"--progress", "--no-progress"}, progressOff},
		{[]string{"--no-progress", "--progress"}, progressOn},
		{[]string{"--no-progress", "--no-progress=false"}, progressAuto},
	} {
		var o options
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		groupFlags(fs, &o, progressFlags)
		require.NoError(t, fs.Parse(tt.args))
		assert.Equal(t, tt.want, o.progress, "%v", tt.args)
	}
	requireOneLineError(t, ftpc("--progress=maybe", "ls", "ftp://h/"), exitUsage)
}

func TestSizeString(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 52428800 + 419430: "50.4 MiB", 3 << 30: "3.0 GiB", 5 << 40: "5.0 TiB", 5 << 50: "5120.0 TiB"} {
		assert.Equal(t, want, sizeString(n))
	}
}
