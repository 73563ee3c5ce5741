package main

import (
	"io"
	"os"
	"path/filepath"

	"github.com/batpak-go/batpak/storage/fs"
)

// diskSystem is the hardware's limit: records of 256 bytes written with
// pwrite(2) + fdatasync(2) into a preallocated, zero-filled file (extended
// 16 MiB at a time, zero-filled and synced, so a record's fdatasync never
// changes the file's size: the best case for the device). Concurrent producers hand their
// records to one writer goroutine, which writes everything queued in one
// write and one fdatasync (so N producers give groups of up to N records).
type diskSystem struct {
	path    string
	f       *os.File
	reqs    chan diskReq
	stopped chan struct{}
	written int
	off     int64 // where the next record goes
	alloc   int64 // end of the zero-filled area
}

// preallocChunk is how much the file grows at a time.
const preallocChunk = 16 << 20

type diskReq struct {
	records int
	reply   chan error
}

// maxDiskGroup bounds the records written by one fdatasync.
const maxDiskGroup = 4096

func newDisk() *diskSystem { return &diskSystem{} }

func (d *diskSystem) Name() string       { return "disk (write+fdatasync)" }
func (d *diskSystem) DurableAtAck() bool { return true }

func (d *diskSystem) Open(dir string, _ int) error {
	d.path = filepath.Join(dir, "disk.log")
	f, err := os.OpenFile(d.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	d.f, d.written = f, int(st.Size()/payloadSize)
	d.off, d.alloc = st.Size(), st.Size()
	d.reqs, d.stopped = make(chan diskReq, 1024), make(chan struct{})
	go d.loop()
	return nil
}

// loop is the writer: one write + one fdatasync per group of queued requests.
func (d *diskSystem) loop() {
	defer close(d.stopped)
	buf := make([]byte, 0, maxDiskGroup*payloadSize)
	var group []diskReq
	for first := range d.reqs {
		group = append(group[:0], first)
		records := first.records
	drain:
		for records < maxDiskGroup {
			select {
			case r, ok := <-d.reqs:
				if !ok {
					break drain
				}
				group = append(group, r)
				records += r.records
			default:
				break drain
			}
		}
		buf = buf[:0]
		for range records {
			buf = append(buf, payload...)
		}
		err := d.writeSync(buf)
		if err == nil {
			d.written += records
		}
		for _, r := range group {
			r.reply <- err
		}
	}
}

func (d *diskSystem) writeSync(b []byte) error {
	if err := d.write(b); err != nil {
		return err
	}
	return fdatasync(d.f)
}

// write writes b at the end of the records, extending the zero-filled area first if needed.
func (d *diskSystem) write(b []byte) error {
	for d.off+int64(len(b)) > d.alloc {
		if _, err := d.f.WriteAt(make([]byte, preallocChunk), d.alloc); err != nil {
			return err
		}
		if err := fdatasync(d.f); err != nil {
			return err
		}
		d.alloc += preallocChunk
	}
	if _, err := d.f.WriteAt(b, d.off); err != nil {
		return err
	}
	d.off += int64(len(b))
	return nil
}

// fdatasync is the store's own sync, fs.SyncFile: fdatasync(2) on Linux
// (F_FULLFSYNC on macOS, FlushFileBuffers on Windows), retried on EINTR.
func fdatasync(f *os.File) error { return fs.SyncFile(f) }

func (d *diskSystem) submit(records int) error {
	reply := make(chan error, 1)
	d.reqs <- diskReq{records: records, reply: reply}
	return <-reply
}

func (d *diskSystem) Producer(int) Producer { return diskProducer{d} }

// Count is only exact between runs (the writer goroutine owns the counter).
func (d *diskSystem) Count() (int, error) { return d.written, nil }

func (d *diskSystem) Fill(n int) error {
	const chunk = 4096
	buf := make([]byte, 0, chunk*payloadSize)
	for n > 0 {
		k := min(n, chunk)
		buf = buf[:0]
		for range k {
			buf = append(buf, payload...)
		}
		if err := d.write(buf); err != nil {
			return err
		}
		n -= k
		d.written += k
	}
	return fdatasync(d.f)
}

func (d *diskSystem) ReadEntity(int) (int, error) {
	return 0, notSupported("a plain file has no per-entity index")
}

func (d *diskSystem) ReadEntityBackward(int) (int, error) {
	return 0, notSupported("a plain file has no per-entity index")
}

func (d *diskSystem) ScanPaged() (int, error) { return 0, errPagedActorsOnly }

// Scan reads the records sequentially in 1 MiB reads.
func (d *diskSystem) Scan() (int, error) {
	f, err := os.Open(d.path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	total := int64(0)
	for total < d.off {
		n, err := f.Read(buf[:min(int64(len(buf)), d.off-total)])
		total += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	return int(total / payloadSize), nil
}

func (d *diskSystem) Close() error {
	if d.reqs != nil {
		close(d.reqs)
		<-d.stopped
		d.reqs = nil
	}
	// Cut the unused zeros, so a reopen finds the records by the file's size.
	err := d.f.Truncate(d.off)
	if err == nil {
		err = fdatasync(d.f)
	}
	if cerr := d.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// diskProducer hands records to the writer goroutine.
type diskProducer struct{ d *diskSystem }

func (p diskProducer) Append(int) error { return p.d.submit(1) }
func (p diskProducer) AppendExpected(int) error {
	return notSupported("no versions in a plain file")
}
func (p diskProducer) AppendIdempotent(int, string) (bool, error) {
	return false, notSupported("no keys in a plain file")
}
func (p diskProducer) AppendBatch(ents []int) error { return p.d.submit(len(ents)) }
