package mirror

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFilterPatterns(t *testing.T) {
	cases := []struct {
		pattern string
		path    string
		want    bool
	}{
		{"*.tmp", "x.tmp", true},
		{"*.tmp", "a/b/x.tmp", true},
		{"*.tmp", "a/x.tmp/y", false}, // a file pattern takes files, not what is below
		{"*.tmp", "x.tmpl", false},
		{"/*.tmp", "x.tmp", true},
		{"/*.tmp", "a/x.tmp", false},
		{"cache/**", "cache/f", true},
		{"cache/**", "a/cache/b/f", true},
		{"cache/**", "mycache/f", false},
		{"/cache/**", "a/cache/f", false},
		{"a/**/z", "a/z", true},
		{"a/**/z", "a/b/c/z", true},
		{"a/**/z", "a/b/c/y", false},
		{"**/build", "x/y/build", true},
		{"b?d", "bad", true},
		{"b?d", "b/d", false},
		{"[a-c]*.log", "d/b1.log", true},
		{"[a-c]*.log", "d/x1.log", false},
		{"sub/*.bin", "sub/a.bin", true},
		{"sub/*.bin", "top/sub/a.bin", true},
		{"sub/*.bin", "sub/deeper/a.bin", false},
	}
	for _, tc := range cases {
		p, err := compilePattern(tc.pattern)
		require.NoError(t, err, tc.pattern)
		assert.Equal(t, tc.want, p.matches(splitRel(tc.path)), "%q ~ %q", tc.pattern, tc.path)
	}
	for _, bad := range []string{"", "/", "a**b", "[a-"} {
		_, err := compilePattern(bad)
		assert.Error(t, err, "%q", bad)
	}
}

func splitRel(rel string) []string {
	var out []string
	start := 0
	for i := range len(rel) {
		if rel[i] == '/' {
			out = append(out, rel[start:i])
			start = i + 1
		}
	}
	return append(out, rel[start:])
}

func TestFilterDecisions(t *testing.T) {
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	f, err := (&Filter{
		Include:   []string{"*.txt", "*.bin"},
		Exclude:   []string{"*.tmp", "cache/**", "/build"},
		MaxDepth:  3,
		NewerThan: day,
	}).compile()
	require.NoError(t, err)

	assert.True(t, f.skipDir("cache"), "cache/** prunes the directory itself")
	assert.True(t, f.skipDir("a/cache"))
	assert.True(t, f.skipDir("build"))
	assert.False(t, f.skipDir("a/build"), "anchored: only at the top")
	assert.False(t, f.skipDir("a"))
	assert.False(t, f.skipDir("a/b"))
	assert.True(t, f.skipDir("a/b/c"), "its files would be at depth 4")

	after, before := day.Add(time.Hour), day.Add(-time.Hour)
	assert.False(t, f.skipFile("a.txt", after))
	assert.False(t, f.skipFile("a/b/c.bin", after))
	assert.True(t, f.skipFile("a/b/c/d.bin", after), "deeper than MaxDepth")
	assert.True(t, f.skipFile("a.txt.tmp", after), "excluded")
	assert.True(t, f.skipFile("a.doc", after), "not included")
	assert.True(t, f.skipFile("a.txt", before), "older than NewerThan")
	assert.False(t, f.skipFile("a.txt", time.Time{}), "an unknown time is taken")

	older, err := (&Filter{OlderThan: day}).compile()
	require.NoError(t, err)
	assert.True(t, older.skipFile("x", after))
	assert.False(t, older.skipFile("x", before))

	var none *filter
	assert.False(t, none.skipDir("cache"))
	assert.False(t, none.skipFile("x.tmp", after))

	_, err = (&Filter{NewerThan: day, OlderThan: day}).compile()
	assert.Error(t, err)
	_, err = (&Filter{MaxDepth: -1}).compile()
	assert.Error(t, err)
	_, err = (&Filter{Exclude: []string{"[x"}}).compile()
	assert.Error(t, err)
}
