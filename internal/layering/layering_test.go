// Package layering checks that imports point one way only: the core
// packages (messages <- storage <- supervision <- actors) never import a
// package above them, and none of them imports the event-sourcing
// packages under es/, nor remoting/ or partition/ (which are built on the
// core, not the reverse).
package layering

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/batpak-go/batpak"

// forbidden lists, per core directory, the import prefixes its non-test
// files must not use.
var forbidden = map[string][]string{
	"messages":    append([]string{module + "/storage", module + "/supervision", module + "/actors"}, above...),
	"storage":     append([]string{module + "/supervision", module + "/actors"}, above...),
	"supervision": append([]string{module + "/actors"}, above...),
	"actors":      append([]string{module + "/cmd"}, above...),
}

// above are the packages built on the core: event sourcing, the network
// layer and the partitioned store.
var above = []string{module + "/es", module + "/remoting", module + "/partition"}

func TestCoreImportsPointOneWay(t *testing.T) {
	root := filepath.Join("..", "..")
	for dir, bad := range forbidden {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "testdata" {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				for _, b := range bad {
					if p == b || strings.HasPrefix(p, b+"/") {
						t.Errorf("%s imports %s: %s is below it", path, p, dir)
					}
				}
			}
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
}
