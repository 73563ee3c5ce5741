package fs

import (
	"os"
	"path/filepath"
	"testing"
)

func TestReadFile(t *testing.T) {
	for _, fsys := range []FS{OS(), NewMem()} {
		dir := t.TempDir()
		name := filepath.Join(dir, "f")
		if err := fsys.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		f, err := fsys.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt([]byte("hello"), 0); err != nil {
			t.Fatal(err)
		}
		f.Close()
		b, err := ReadFile(fsys, name)
		if err != nil || string(b) != "hello" {
			t.Fatalf("%T: %q, %v", fsys, b, err)
		}
		if _, err := ReadFile(fsys, filepath.Join(dir, "missing")); err == nil {
			t.Fatalf("%T: a missing file read", fsys)
		}
	}
}
