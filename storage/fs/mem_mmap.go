package fs

// Map implements Mapper with a copy of the file's first size bytes (fewer
// if the file is shorter): a read-only view that later writes and
// truncations of the file do not change, as a sealed segment never changes.
// Unmapping does nothing; the copy is garbage collected.
func (f *memFile) Map(size int64) ([]byte, func() error, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.check("mmap", f.canRead); err != nil {
		return nil, nil, err
	}
	n := min(max(size, 0), int64(len(f.node.data)))
	data := append([]byte(nil), f.node.data[:n]...)
	return data, func() error { return nil }, nil
}
