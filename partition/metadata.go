package partition

import (
	"encoding/json"
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
)

// A member's data directory holds one directory per partition it owns:
//
//	<Dir>/p-<k>/partition.json   this file's Metadata (JSON)
//	<Dir>/p-<k>/store/           the partition's batpak store
//
// The partition directory is what moves when a partition moves to another
// member: the metadata travels with the store.
const (
	metadataFile = "partition.json"
	storeDir     = "store"
	// metadataFormat is the version of partition.json.
	metadataFormat = 1
	// hashName names PartitionOf in the metadata.
	hashName = "fnv1a64"
)

// Metadata is what a partition directory records about itself, in
// partition.json, when it is created; a member that opens it checks it
// against its configuration.
type Metadata struct {
	// Format is the metadata's version: 1.
	Format int `json:"format"`
	// Partitions is the store's number of partitions, N.
	Partitions int `json:"partitions"`
	// Partition is this directory's partition, in [0, N).
	Partition int `json:"partition"`
	// Hash names the entity-to-partition function: "fnv1a64" (PartitionOf).
	Hash string `json:"hash"`
}

// want is the metadata of partition k of n.
func want(k, n int) Metadata {
	return Metadata{Format: metadataFormat, Partitions: n, Partition: k, Hash: hashName}
}

// partitionDir is partition k's directory under a member's data directory.
func partitionDir(dir string, k int) string { return filepath.Join(dir, Identity(k)) }

// preparePartition checks the metadata of the partition directory pdir
// against w, or creates pdir and its metadata (durably) when there is
// neither metadata nor a store yet. It returns the store's directory.
func preparePartition(pdir string, w Metadata, create bool) (string, error) {
	store := filepath.Join(pdir, storeDir)
	b, err := os.ReadFile(filepath.Join(pdir, metadataFile))
	switch {
	case errors.Is(err, iofs.ErrNotExist) && !create:
		if _, serr := os.Stat(pdir); errors.Is(serr, iofs.ErrNotExist) {
			return "", &MetadataError{Dir: pdir, Want: w, Missing: true, Reason: "no such partition directory; " +
				"set Config.Create to create a new partition, or copy the partition's directory here (see Moving a partition)"}
		}
		if names, err := os.ReadDir(store); err == nil && len(names) > 0 {
			return "", &MetadataError{Dir: pdir, Want: w, Reason: "a store without " + metadataFile +
				" (copy the whole partition directory, metadata included)"}
		}
		return "", &MetadataError{Dir: pdir, Want: w, Missing: true, Reason: "the partition directory has no " + metadataFile +
			" and no store; set Config.Create to create a new partition"}
	case errors.Is(err, iofs.ErrNotExist):
		if names, err := os.ReadDir(store); err == nil && len(names) > 0 {
			return "", &MetadataError{Dir: pdir, Want: w, Reason: "a store without " + metadataFile +
				" (copy the whole partition directory, metadata included)"}
		}
		return store, writeMetadata(pdir, w)
	case err != nil:
		return "", fmt.Errorf("batpak partition: read %s: %w", filepath.Join(pdir, metadataFile), err)
	}
	var got Metadata
	if err := json.Unmarshal(b, &got); err != nil {
		return "", &MetadataError{Dir: pdir, Want: w, Reason: "unreadable " + metadataFile + ": " + err.Error()}
	}
	if reason := mismatch(got, w); reason != "" {
		return "", &MetadataError{Dir: pdir, Want: w, Got: &got, Reason: reason}
	}
	return store, nil
}

// checkCount refuses a data directory that holds a partition directory
// made for another partition count than n, whether or not this member owns
// that partition now: a member restarted with another N must not start by
// owning only partitions that are new under it, leaving its old ones
// behind. Directories that are not partition directories, or have no
// readable metadata, are left to preparePartition (for the partitions the
// member owns) and ignored otherwise.
func checkCount(dir string, n int) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, iofs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("batpak partition: read %s: %w", dir, err)
	}
	for _, e := range entries {
		k, ok := parseIdentity(e.Name())
		if !ok || !e.IsDir() {
			continue
		}
		pdir := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(filepath.Join(pdir, metadataFile))
		if err != nil {
			continue
		}
		var got Metadata
		if json.Unmarshal(b, &got) != nil || got.Partitions == n {
			continue
		}
		w := want(k, n)
		return &MetadataError{Dir: pdir, Want: w, Got: &got, Reason: fmt.Sprintf(
			"created for %d partitions, configured with %d (the number of partitions is fixed at creation)", got.Partitions, n)}
	}
	return nil
}

// mismatch says how got differs from w, or "".
func mismatch(got, w Metadata) string {
	switch {
	case got.Format != w.Format:
		return fmt.Sprintf("metadata format %d, this version reads %d", got.Format, w.Format)
	case got.Partitions != w.Partitions:
		return fmt.Sprintf("created for %d partitions, configured with %d (the number of partitions is fixed at creation)",
			got.Partitions, w.Partitions)
	case got.Hash != w.Hash:
		return fmt.Sprintf("hash %q, this version uses %q", got.Hash, w.Hash)
	case got.Partition != w.Partition:
		return fmt.Sprintf("holds partition %d, opened as partition %d", got.Partition, w.Partition)
	}
	return ""
}

// writeMetadata creates pdir (0700) and writes m to its metadata file
// durably: a temporary file, fsynced, renamed over the name, then the
// directory fsynced (and pdir's parent, when pdir is new).
func writeMetadata(pdir string, m Metadata) error {
	_, statErr := os.Stat(pdir)
	if err := os.MkdirAll(pdir, 0o700); err != nil {
		return fmt.Errorf("batpak partition: create %s: %w", pdir, err)
	}
	if statErr != nil {
		if err := syncDir(filepath.Dir(pdir)); err != nil {
			return err
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	tmp := filepath.Join(pdir, metadataFile+".tmp")
	if err := writeSynced(tmp, append(b, '\n')); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(pdir, metadataFile)); err != nil {
		return fmt.Errorf("batpak partition: %w", err)
	}
	return syncDir(pdir)
}

// writeSynced writes b to a new file at path (0600) and fsyncs it.
func writeSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("batpak partition: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("batpak partition: write %s: %w", path, err)
	}
	return nil
}

// syncDir fsyncs a directory, so that the names created in it last.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("batpak partition: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("batpak partition: fsync %s: %w", dir, err)
	}
	return nil
}
