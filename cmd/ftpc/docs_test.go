package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The module's documents: the licence, the changelog and the README,
// whose Go snippets must compile and stay in step with the runnable
// examples, and whose ftpc section must say what ftpc does.

// repoRoot is the module's root, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	return root
}

func readDoc(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), name))
	require.NoError(t, err)
	return string(b)
}

// TestLicense: BSD-3-Clause, as Go uses, for "The ftp authors".
func TestLicense(t *testing.T) {
	text := strings.Join(strings.Fields(readDoc(t, "LICENSE")), " ")
	for _, want := range []string{
		"Copyright 2026 The ftp authors.",
		"Redistribution and use in source and binary forms, with or without modification, are permitted provided that the following conditions are met:",
		"1. Redistributions of source code must retain the above copyright notice, this list of conditions and the following disclaimer.",
		"2. Redistributions in binary form must reproduce the above copyright notice, this list of conditions and the following disclaimer in the documentation and/or other materials provided with the distribution.",
		"3. Neither the name of the copyright holder nor the names of its contributors may be used to endorse or promote products derived from this software without specific prior written permission.",
		`THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"`,
	} {
		assert.Contains(t, text, want)
	}
}

// TestChangelog: Keep a Changelog form, semantic versions, v0.1.0 with the
// capabilities so far, and the compatibility rule of v0.
func TestChangelog(t *testing.T) {
	text := readDoc(t, "CHANGELOG.md")
	assert.True(t, strings.HasPrefix(text, "# Changelog\n"))
	assert.Contains(t, text, "[Keep a Changelog](https://keepachangelog.com/en/1.1.0/)")
	assert.Contains(t, text, "[Semantic Versioning](https://semver.org/spec/v2.0.0.html)")
	assert.Contains(t, text, "a patch version never")
	versions := regexp.MustCompile(`(?m)^## \[(\d+\.\d+\.\d+|Unreleased)\](?: - (\d{4}-\d{2}-\d{2}|Unreleased))?$`).FindAllStringSubmatch(text, -1)
	require.NotEmpty(t, versions)
	assert.Equal(t, "0.1.0", versions[len(versions)-1][1], "the first release")
	sections := regexp.MustCompile(`(?m)^### (Added|Changed|Deprecated|Removed|Fixed|Security)$`).FindAllString(text, -1)
	assert.NotEmpty(t, sections)
	bullets := regexp.MustCompile(`(?m)^- `).FindAllString(text, -1)
	assert.GreaterOrEqual(t, len(bullets), 15)
	for _, want := range []string{"`resume`", "`mirror`", "`ftpfs`", "`ftpproxy`", "`ftptest`", "`listing`", "`atbridge`", "`ftpc`", "FTPS", "`Pool`"} {
		assert.Contains(t, text, want)
	}
}

// readmeSection returns the README's text from the heading to the next
// heading of the same level.
func readmeSection(t *testing.T, readme, heading string) string {
	t.Helper()
	i := strings.Index(readme, "\n"+heading+"\n")
	require.GreaterOrEqual(t, i, 0, "no %q in README.md", heading)
	rest := readme[i+len(heading)+2:]
	if j := strings.Index(rest, "\n## "); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// TestReadmeFtpc: the README says what ftpc does: its exit statuses (the
// table of the code), --json, --version, serve --tls, per-command help,
// Ctrl-C; and what the versions promise.
func TestReadmeFtpc(t *testing.T) {
	readme := readDoc(t, "README.md")
	sec := readmeSection(t, readme, "## The `ftpc` command")
	var rows []string
	for _, m := range regexp.MustCompile(`(?m)^\| (\d+) \| (.*) \|$`).FindAllStringSubmatch(sec, -1) {
		rows = append(rows, m[1]+" "+m[2])
	}
	var want []string
	for _, e := range exitCodes {
		want = append(want, fmt.Sprintf("%d %s", e.code, e.meaning))
	}
	assert.Equal(t, want, rows, "the README's exit statuses are the code's")
	for _, s := range []string{"--json", "ftpc --version", "ftpc serve --tls", "--implicit", "--cert", "ftpc help get", "ftpc get --help",
		"Ctrl-C", "resume with: ftpc get --resume", "resuming at", "mirror --dry-run", "ftpes:// or --tls", "DIR/"} {
		assert.Contains(t, sec, s)
	}
	ver := readmeSection(t, readme, "## Versions and compatibility")
	for _, s := range []string{"CHANGELOG.md", "v0.1.0", "minor version", "patch version", "never", "BSD-3-Clause"} {
		assert.Contains(t, ver, s)
	}
}

// goSnippets returns the README's Go code blocks.
func goSnippets(t *testing.T) []string {
	t.Helper()
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(readDoc(t, "README.md"), -1)
	require.NotEmpty(t, blocks)
	var out []string
	for _, b := range blocks {
		out = append(out, b[1])
	}
	return out
}

// snippetImports are the packages README snippets may use, by name.
var snippetImports = map[string]string{
	"ftp": "github.com/seed362563c3/ftp", "resume": "github.com/seed362563c3/ftp/resume",
	"mirror": "github.com/seed362563c3/ftp/mirror", "ftpfs": "github.com/seed362563c3/ftp/ftpfs",
	"ftpproxy": "github.com/seed362563c3/ftp/ftpproxy", "ftptest": "github.com/seed362563c3/ftp/ftptest",
	"listing": "github.com/seed362563c3/ftp/listing",
	"context": "context", "errors": "errors", "fmt": "fmt", "io": "io", "fs": "io/fs", "log": "log",
	"os": "os", "strings": "strings", "bytes": "bytes", "time": "time", "filepath": "path/filepath", "http": "net/http",
}

// selectors returns the X.Sel pairs of Go source (comments left out), in
// order.
func selectors(src string) [][2]string {
	var s scanner.Scanner
	fset := token.NewFileSet()
	s.Init(fset.AddFile("", -1, len(src)), []byte(src), nil, 0)
	var out [][2]string
	var prev [2]string // the last two tokens' identifiers, "." as such
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			return out
		}
		switch {
		case tok == token.IDENT && prev[1] == "." && prev[0] != "":
			out = append(out, [2]string{prev[0], lit})
			prev = [2]string{"", lit}
		case tok == token.IDENT:
			prev = [2]string{prev[1], lit}
		case tok == token.PERIOD:
			prev = [2]string{prev[1], "."}
		default:
			prev = [2]string{}
		}
	}
}

// snippetFile makes a Go file of a README snippet: a whole file as it is,
// statements as the body of a function returning error, with the imports
// they use.
func snippetFile(snippet string) string {
	if strings.HasPrefix(strings.TrimSpace(snippet), "package ") {
		return snippet
	}
	used := map[string]bool{}
	for _, sel := range selectors(snippet) {
		if _, ok := snippetImports[sel[0]]; ok {
			used[sel[0]] = true
		}
	}
	var names []string
	for name := range used {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("package main\n\nimport (\n")
	for _, name := range names {
		fmt.Fprintf(&b, "\t%s %q\n", name, snippetImports[name])
	}
	b.WriteString(")\n\nfunc snippet() error {\n" + snippet + "\treturn nil\n}\n\nfunc main() { _ = snippet() }\n")
	return b.String()
}

// TestReadmeSnippetsCompile builds every Go snippet of the README in a
// scratch module that uses this one (a replace directive).
func TestReadmeSnippetsCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	root := repoRoot(t)
	for i, snippet := range goSnippets(t) {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			dir := t.TempDir()
			gomod := "module readmecheck\n\ngo 1.25.0\n\nrequire github.com/seed362563c3/ftp v0.0.0\n\nreplace github.com/seed362563c3/ftp => " + root + "\n"
			require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644))
			sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644))
			src := snippetFile(snippet)
			require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644))
			cmd := exec.Command(goTool(), "build", "-o", os.DevNull, ".")
			cmd.Dir = dir
			cmd.Env = append(buildEnv, "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "README snippet %d does not compile:\n%s\n%s", i, out, src)
		})
	}
}

// TestReadmeSnippetsShownByExamples: what a README snippet calls of this
// module (ftp.Dial, resume.UploadFile, and methods such as Retrieve) is
// shown by one of the runnable examples, which run against ftptest: the
// README cannot drift far from code that is run.
func TestReadmeSnippetsShownByExamples(t *testing.T) {
	root := repoRoot(t)
	shown := map[string]bool{}
	files, err := filepath.Glob(filepath.Join(root, "*example*_test.go"))
	require.NoError(t, err)
	more, err := filepath.Glob(filepath.Join(root, "*", "*example*_test.go"))
	require.NoError(t, err)
	files = append(files, more...)
	require.NotEmpty(t, files)
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || !strings.HasPrefix(fd.Name.Name, "Example") || fd.Body == nil {
				continue
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				if se, ok := n.(*ast.SelectorExpr); ok {
					if id, ok := se.X.(*ast.Ident); ok {
						shown[id.Name+"."+se.Sel.Name] = true
					}
					shown["."+se.Sel.Name] = true
				}
				return true
			})
		}
	}
	module := map[string]bool{"ftp": true, "resume": true, "mirror": true, "ftpfs": true, "ftpproxy": true, "ftptest": true, "listing": true}
	for i, snippet := range goSnippets(t) {
		for _, sel := range selectors(snippet) {
			x, name := sel[0], sel[1]
			switch {
			case module[x]:
				assert.True(t, shown[x+"."+name], "README snippet %d uses %s.%s, which no example shows", i, x, name)
			case snippetImports[x] != "":
				// The standard library.
			case name != "" && name[0] >= 'A' && name[0] <= 'Z':
				assert.True(t, shown["."+name], "README snippet %d calls %s.%s, which no example shows", i, x, name)
			}
		}
	}
}
