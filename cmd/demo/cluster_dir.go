package main

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// clusterDir is the subdirectory of the data directory where -cluster
// keeps its members' data: member m's partition k in clusterDir/m/p-<k>,
// as package partition lays it out (partition.json and store/).
const clusterDir = "cluster"

// clearCluster empties the cluster demo's subdirectory of dir for a fresh
// run, when everything in dir belongs to the demo (see demoDir): the
// single-store demo's data is left alone, and nothing is deleted from a
// directory that holds anything else. A missing directory is fine.
func clearCluster(dir string) error {
	d, err := scanDemoDir(dir)
	if err != nil || !d.cluster {
		return err
	}
	return os.RemoveAll(filepath.Join(dir, clusterDir))
}

// checkCluster checks that dir's cluster subdirectory holds the cluster
// demo's members' data only: a directory per member, holding a directory
// per partition it owns (p-<k>), holding partition.json (or the temporary
// file it is written to) and store/, a batpak store's files.
func checkCluster(dir string) error {
	root := filepath.Join(dir, clusterDir)
	members, err := os.ReadDir(root)
	if err != nil {
		return err
	}
	for _, m := range members {
		rel := filepath.Join(clusterDir, m.Name())
		if !m.IsDir() || !slices.Contains(memberNames, m.Name()) {
			return refuse(dir, rel, "a member of the cluster demo")
		}
		parts, err := os.ReadDir(filepath.Join(dir, rel))
		if err != nil {
			return err
		}
		for _, p := range parts {
			if !p.IsDir() || !isPartitionName(p.Name()) {
				return refuse(dir, filepath.Join(rel, p.Name()), "a partition of the cluster demo")
			}
			if err := checkPartition(dir, filepath.Join(rel, p.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// isPartitionName reports whether name is p-<k> for one of the cluster
// demo's partitions.
func isPartitionName(name string) bool {
	k, err := strconv.Atoi(strings.TrimPrefix(name, "p-"))
	return strings.HasPrefix(name, "p-") && err == nil && k >= 0 && k < len(clusterOwners) && name == "p-"+strconv.Itoa(k)
}

// checkPartition checks a partition directory (rel, under dir).
func checkPartition(dir, rel string) error {
	entries, err := os.ReadDir(filepath.Join(dir, rel))
	if err != nil {
		return err
	}
	for _, e := range entries {
		switch {
		case e.Type().IsRegular() && (e.Name() == "partition.json" || e.Name() == "partition.json.tmp"):
		case e.IsDir() && e.Name() == "store":
			files, err := os.ReadDir(filepath.Join(dir, rel, "store"))
			if err != nil {
				return err
			}
			for _, f := range files {
				if !f.Type().IsRegular() || !isStoreFile(f.Name()) {
					return refuse(dir, filepath.Join(rel, "store", f.Name()), "part of a batpak store")
				}
			}
		default:
			return refuse(dir, filepath.Join(rel, e.Name()), "part of a partition")
		}
	}
	return nil
}
