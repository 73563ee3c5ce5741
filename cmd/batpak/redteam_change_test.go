package main

import (
	"os"
	"path/filepath"
	"testing"
)

// repair --dry-run "changes nothing on the disk": not even a LOCK file in
// a store that has none (a copy of its segment files).
func TestRepairDryRunCreatesNoLockFile(t *testing.T) {
	dir := copyStore(t, writeStore(t, 20, 3))
	if err := os.Remove(filepath.Join(dir, "LOCK")); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)
	if r := cli(t, "", "repair", dir, "--dry-run"); r.code != ExitOK {
		t.Fatalf("%+v", r)
	}
	if after := snapshot(t, dir); after != before {
		t.Fatalf("the dry run changed the store:\n%s\n%s", before, after)
	}
}

// backup never changes the store it copies: a destination inside it (which
// would add a directory to the store) is refused, exit status 1, and
// nothing is created.
func TestBackupIntoTheStoreItselfIsRefused(t *testing.T) {
	dir := writeStore(t, 20, 3)
	before := snapshot(t, dir)
	for _, dest := range []string{
		dir,
		filepath.Join(dir, "backup"),
		filepath.Join(dir, "a", "b"),
		filepath.Join(dir, "..", filepath.Base(dir), "backup"),
	} {
		oneLineErr(t, cli(t, "", "backup", dir, dest), ExitError, "inside")
		if after := snapshot(t, dir); after != before {
			t.Fatalf("backup to %s changed the store:\n%s\n%s", dest, before, after)
		}
	}
	// Through a symbolic link to the store, too.
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	oneLineErr(t, cli(t, "", "backup", link, filepath.Join(dir, "backup")), ExitError, "inside")
	oneLineErr(t, cli(t, "", "backup", dir, filepath.Join(link, "backup")), ExitError, "inside")
	if after := snapshot(t, dir); after != before {
		t.Fatalf("the store changed:\n%s\n%s", before, after)
	}
	// A sibling whose name starts like the store's is not inside it.
	if r := cli(t, "", "backup", dir, dir+"-backup"); r.code != ExitOK {
		t.Fatalf("%+v", r)
	}
}

// import creates a store in a new or empty directory, or appends to a
// store; a directory that holds other files is not a store: refused, exit
// status 1, nothing written into it.
func TestImportIntoADirectoryOfOtherFilesIsRefused(t *testing.T) {
	src := writeStore(t, 5, 2)
	export := cli(t, "", "export", src)
	if export.code != ExitOK {
		t.Fatalf("%+v", export)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)
	oneLineErr(t, cli(t, export.stdout, "import", dir), ExitError, "not a store")
	if after := snapshot(t, dir); after != before {
		t.Fatalf("import wrote into the directory:\n%s\n%s", before, after)
	}
	// An empty directory and a store are fine.
	empty := t.TempDir()
	if r := cli(t, export.stdout, "import", empty); r.code != ExitOK {
		t.Fatalf("%+v", r)
	}
	if r := cli(t, export.stdout, "import", empty); r.code != ExitOK {
		t.Fatalf("%+v", r)
	}
}
