package fs

import (
	"bytes"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
)

// PowerLossPage is the unit in which PowerLoss decides which unsynced data
// reached the disk: a page of the file, aligned on a multiple of its size.
const PowerLossPage = 4096

// PowerLoss returns the Mem a restart would find after a power cut now, in
// the spirit of pebble's crash clones: the page cache is lost, and the
// write-back that happened before the cut may have been partial and out of
// order. Every choice below is made at random with rng, independently:
//
//   - Data. A file keeps its synced data (as of its last File.Sync)
//     exactly, except where it changed since: each PowerLossPage-sized page
//     whose current bytes differ from the synced ones holds either the new
//     bytes or the old ones (the synced bytes, zeros beyond the synced
//     length). The file's size is either its synced size or its current
//     size: a truncation or an extension not yet synced may or may not have
//     reached the disk. A truncation changes only the size, so bytes beyond
//     the current size are the old ones.
//   - Names. A file created, removed or renamed since the last SyncDir of
//     its directory either has its new state or its old one (not created,
//     not removed, the old name). A rename is atomic: the file is under its
//     old name or its new one, never both, never neither; a rename that
//     replaced a file and that file go together. A rename into another
//     directory is durable once that directory is synced.
//   - Directories. A directory created or removed since the last SyncDir of
//     its parent either exists or not; when it does not, everything in it
//     is gone too. (Crash and CrashClean keep every directory.)
//
// The result holds no locks and all of its state is durable. The receiver
// is not changed and keeps working; PowerLoss may be called concurrently
// with any use of it (the image is taken under one lock). rng must not be
// nil.
func (m *Mem) PowerLoss(rng *rand.Rand) *Mem {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := NewMem()
	for _, d := range m.powerLossDirs(rng) {
		c.dirs[d] = struct{}{}
		c.durableDirs[d] = struct{}{}
	}
	placed := m.powerLossNames(rng)
	for _, p := range slices.Sorted(maps.Keys(placed)) {
		if _, ok := c.dirs[filepath.Dir(p)]; !ok {
			continue // its directory did not survive
		}
		c.addDurable(p, placed[p].powerLossData(rng))
	}
	return c
}

// powerLossDirs returns the directories that survive a power cut, sorted.
// m.mu must be held.
func (m *Mem) powerLossDirs(rng *rand.Rand) []string {
	all := maps.Clone(m.dirs)
	maps.Copy(all, m.durableDirs)
	exists := make(map[string]bool, len(all))
	for _, d := range slices.Sorted(maps.Keys(all)) {
		_, now := m.dirs[d]
		_, synced := m.durableDirs[d]
		exists[d] = now
		if now != synced && rng.IntN(2) == 0 {
			exists[d] = synced
		}
	}
	var out []string
	for _, d := range slices.Sorted(maps.Keys(all)) {
		if ancestry(d, exists) {
			out = append(out, d)
		}
	}
	return out
}

// ancestry reports whether d and each of its ancestors exist.
func ancestry(d string, exists map[string]bool) bool {
	for {
		if !exists[d] {
			return false
		}
		parent := filepath.Dir(d)
		if parent == d {
			return true
		}
		d = parent
	}
}

// powerLossNames returns the namespace a power cut leaves: each file node
// under its current names or under its durable ones. Nodes that compete
// for a name (a rename that replaced a file) are decided together. m.mu
// must be held.
func (m *Mem) powerLossNames(rng *rand.Rand) map[string]*memNode {
	names := maps.Clone(m.files)
	maps.Copy(names, m.durable)
	sorted := slices.Sorted(maps.Keys(names))

	cur := map[*memNode][]string{}
	old := map[*memNode][]string{}
	var nodes []*memNode // in a deterministic order, so a seed replays
	seen := map[*memNode]bool{}
	note := func(n *memNode) {
		if n != nil && !seen[n] {
			seen[n] = true
			nodes = append(nodes, n)
		}
	}
	groups := newNodeSets()
	for _, p := range sorted {
		a, b := m.files[p], m.durable[p]
		note(a)
		note(b)
		if a != nil {
			cur[a] = append(cur[a], p)
		}
		if b != nil {
			old[b] = append(old[b], p)
		}
		if a != nil && b != nil && a != b {
			groups.union(a, b)
		}
	}

	useNew := map[*memNode]bool{} // per group: its root's decision
	out := map[string]*memNode{}
	for _, n := range nodes {
		state := cur[n]
		if changed(cur[n], old[n]) {
			root := groups.find(n)
			choice, decided := useNew[root]
			if !decided {
				choice = rng.IntN(2) == 0
				useNew[root] = choice
			}
			if !choice {
				state = old[n]
			}
		}
		for _, p := range state {
			out[p] = n
		}
	}
	return out
}

// changed reports whether a node's names cur differ from its durable
// names old in a way a power cut can undo. A node whose one current name is
// durable is not: the SyncDir that made it durable made its rename durable
// as a whole (a journaling file system commits a rename in one
// transaction), so a durable name it left behind in another directory is
// gone as well.
func changed(cur, old []string) bool {
	if len(cur) == 1 && slices.Contains(old, cur[0]) {
		return false
	}
	return !slices.Equal(cur, old)
}

// powerLossData returns the contents of n after a power cut (see
// PowerLoss). The owning Mem's mutex must be held.
func (n *memNode) powerLossData(rng *rand.Rand) []byte {
	size := len(n.data)
	if len(n.synced) != size && rng.IntN(2) == 0 {
		size = len(n.synced)
	}
	out := make([]byte, size)
	copy(out, n.synced) // the old bytes, zeros beyond the synced length
	if n.dirtyFrom < 0 {
		return out // nothing changed since the last sync
	}
	// Below dirtyFrom the current bytes are the synced ones.
	for off := n.dirtyFrom / PowerLossPage * PowerLossPage; off < int64(size); off += PowerLossPage {
		if off >= int64(len(n.data)) {
			break // beyond the current size only the old bytes exist
		}
		nb := n.data[off:min(off+PowerLossPage, int64(size), int64(len(n.data)))]
		if !bytes.Equal(nb, out[off:off+int64(len(nb))]) && rng.IntN(2) == 0 {
			copy(out[off:], nb)
		}
	}
	return out
}

// nodeSets is a union-find over file nodes.
type nodeSets struct{ parent map[*memNode]*memNode }

func newNodeSets() *nodeSets { return &nodeSets{parent: map[*memNode]*memNode{}} }

// find returns the representative of n's set.
func (s *nodeSets) find(n *memNode) *memNode {
	for {
		p, ok := s.parent[n]
		if !ok || p == n {
			return n
		}
		n = p
	}
}

// union merges the sets of a and b.
func (s *nodeSets) union(a, b *memNode) {
	ra, rb := s.find(a), s.find(b)
	if ra != rb {
		s.parent[ra] = rb
	}
}
