package fs

// faultyFile is a File opened through a Faulty.
type faultyFile struct {
	fs    *Faulty
	inner File
	name  string
}

// ReadAt implements io.ReaderAt; it is not counted.
func (f *faultyFile) ReadAt(p []byte, off int64) (int, error) { return f.inner.ReadAt(p, off) }

// WriteAt implements io.WriterAt; it counts as an operation. When it fails
// with partial writes on, it first writes len(p)/2 bytes and returns that
// count with the injected error.
func (f *faultyFile) WriteAt(p []byte, off int64) (int, error) {
	partial, err := f.fs.count("write", f.name)
	if err == nil {
		return f.inner.WriteAt(p, off)
	}
	if half := len(p) / 2; partial && half > 0 {
		n, werr := f.inner.WriteAt(p[:half], off)
		if werr != nil {
			return n, werr
		}
		return n, err
	}
	return 0, err
}

// Sync implements File; it counts as an operation.
func (f *faultyFile) Sync() error {
	if _, err := f.fs.count("sync", f.name); err != nil {
		return err
	}
	return f.inner.Sync()
}

// Truncate implements File; it counts as an operation.
func (f *faultyFile) Truncate(size int64) error {
	if _, err := f.fs.count("truncate", f.name); err != nil {
		return err
	}
	return f.inner.Truncate(size)
}

// Size implements File; it is not counted.
func (f *faultyFile) Size() (int64, error) { return f.inner.Size() }

// Close implements io.Closer; it is not counted.
func (f *faultyFile) Close() error { return f.inner.Close() }
