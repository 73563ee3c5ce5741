package format

// FooterCursor walks the records of the footer a FooterReader checked
// last, one at a time, for a reader that compares them with something read
// in step (the frames of the same segment): Each, pulled.
type FooterCursor struct {
	r    *FooterReader
	d    reader
	off  int64
	left int
	rec  Record
}

// Cursor returns a cursor on the records of the footer Read checked last.
// It is valid until the reader's next Read.
func (r *FooterReader) Cursor() FooterCursor {
	return FooterCursor{r: r, d: reader{b: r.body, off: r.recsAt}, off: HeaderSize, left: r.records}
}

// Next returns the next record (a Record reused by every call: valid until
// the next), or false after the last.
func (c *FooterCursor) Next() (*Record, bool) {
	if c.left == 0 || c.r == nil || c.r.body == nil {
		return nil, false
	}
	c.left--
	c.rec.Offset = c.off
	c.r.parseRecord(&c.d, &c.rec)
	if c.d.err != nil { // cannot happen: Read checked it
		c.left = 0
		return nil, false
	}
	c.off += int64(c.rec.Size)
	return &c.rec, true
}

// Left returns how many records Next has still to return.
func (c *FooterCursor) Left() int { return c.left }
