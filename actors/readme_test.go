package actors_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// exampleRef is the example file a README paragraph names for the Go block
// that follows it.
var exampleRef = regexp.MustCompile(`\(([a-z/]+/example[a-z_]*_test\.go)\)`)

// codeOf returns the code of a Go line without indentation and without a
// trailing comment ("" for a blank or comment-only line). A "//" inside a
// string literal is rare enough here to be ignored.
func codeOf(line string) string {
	code := strings.TrimSpace(line)
	if i := strings.Index(code, "//"); i >= 0 && !strings.Contains(code[:i], "`") && !strings.Contains(code[:i], `"`) {
		code = strings.TrimSpace(code[:i])
	}
	return code
}

// Every Go block in README.md is backed by an Example that go test runs:
// the paragraph before the block names the example file, and each line of
// code in the block (comments, indentation and error checks aside) is a
// line of that file. A README change that drifts from the examples fails
// here.
func TestReadmeSnippetsAreExamples(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := 0
	lines := strings.Split(string(readme), "\n")
	ref := ""
	for i := 0; i < len(lines); i++ {
		if m := exampleRef.FindStringSubmatch(lines[i]); m != nil {
			ref = m[1]
		}
		if strings.TrimSpace(lines[i]) != "```go" {
			continue
		}
		blocks++
		start := i + 1
		if ref == "" {
			t.Errorf("README.md:%d: a Go block that names no example file", start)
		}
		var src map[string]bool
		if ref != "" {
			b, err := os.ReadFile(filepath.Join("..", ref))
			if err != nil {
				t.Fatalf("README.md:%d: %v", start, err)
			}
			src = map[string]bool{}
			for _, l := range strings.Split(string(b), "\n") {
				src[codeOf(l)] = true
			}
		}
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			if code := codeOf(lines[i]); code != "" && src != nil && !src[code] {
				t.Errorf("README.md:%d: not in %s: %s", i+1, ref, code)
			}
		}
		ref = "" // each block names its file
	}
	if blocks < 3 {
		t.Errorf("found %d Go blocks in README.md, want at least 3", blocks)
	}
}
