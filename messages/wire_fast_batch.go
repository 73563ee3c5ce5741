package messages

// Hand-written msgpack for AppendBatch and AppendBatchReply; see
// wire_fast.go for the rules and wire_fast_decode.go for the reader.

// sizeHint is a little more than the encoded size of m.
func (m *AppendBatch) sizeHint() int {
	n := 12 + strMapSize(m.Trace) + m.Bypass.size()
	for i := range m.Items {
		it := &m.Items[i]
		n += 200 + len(it.Coordinate.Entity) + len(it.Coordinate.Scope) + len(it.Payload) + strMapSize(it.Metadata)
	}
	return n
}

func (m *AppendBatch) appendMsgpack(b []byte) []byte {
	n := 1
	if len(m.Trace) > 0 {
		n++
	}
	if m.Bypass != nil {
		n++
	}
	b = appendStr(appendMapLen(b, n), "items")
	if m.Items == nil {
		b = append(b, 0xc0)
	} else {
		b = appendArrayLen(b, len(m.Items))
		for i := range m.Items {
			b = appendBatchItem(b, &m.Items[i])
		}
	}
	if len(m.Trace) > 0 {
		b = appendStrMap(appendStr(b, "trace"), m.Trace)
	}
	if m.Bypass != nil {
		b = m.Bypass.appendMsgpack(appendStr(b, "bypass"))
	}
	return b
}

func appendBatchItem(b []byte, it *BatchItem) []byte {
	n := 7
	if len(it.Metadata) > 0 {
		n++
	}
	b = appendMapLen(b, n)
	b = appendCoordinate(appendStr(b, "coord"), it.Coordinate)
	b = appendU16(appendStr(b, "kind"), uint16(it.Kind))
	b = appendBin(appendStr(b, "payload"), it.Payload)
	b = appendID(appendStr(b, "corr"), it.CorrelationID)
	b = appendCausation(appendStr(b, "cause"), it.Causation)
	b = appendID(appendStr(b, "key"), it.IdempotencyKey)
	b = appendExpected(appendStr(b, "expected"), it.Expected)
	if len(it.Metadata) > 0 {
		b = appendStrMap(appendStr(b, "meta"), it.Metadata)
	}
	return b
}

func appendCausation(b []byte, c CausationRef) []byte {
	n := 1
	if !c.ID.IsZero() {
		n++
	}
	if c.Index != 0 {
		n++
	}
	b = appendU8(appendStr(appendMapLen(b, n), "mode"), uint8(c.Mode))
	if !c.ID.IsZero() {
		b = appendID(appendStr(b, "id"), c.ID)
	}
	if c.Index != 0 {
		b = appendInt(appendStr(b, "index"), int64(c.Index))
	}
	return b
}

// sizeHint is a little more than the encoded size of m without a Failure.
func (m *AppendBatchReply) sizeHint() int { return 16 + 136*len(m.Receipts) }

func (m *AppendBatchReply) appendMsgpack(b []byte) []byte {
	b = appendStr(appendMapLen(b, 1), "receipts") // Failure is nil: omitted
	if m.Receipts == nil {
		return append(b, 0xc0)
	}
	b = appendArrayLen(b, len(m.Receipts))
	for i := range m.Receipts {
		b = appendReceipt(b, &m.Receipts[i])
	}
	return b
}

func (r *wireReader) appendBatch() (m AppendBatch) {
	var seen uint16
	for n, i := r.mapLen(), 0; i < n && !r.bad; i++ {
		switch string(r.str()) {
		case "items":
			r.once(&seen, 1<<0)
			m.Items = r.batchItems()
		case "trace":
			r.once(&seen, 1<<1)
			m.Trace = r.strMap()
		case "bypass":
			r.once(&seen, 1<<2)
			m.Bypass = r.bypass()
		default:
			r.fail()
		}
	}
	return m
}

// batchItems reads what BatchItems.DecodeMsgpack reads.
func (r *wireReader) batchItems() BatchItems {
	if r.isNil() {
		return nil
	}
	n := r.arrayLen()
	out := make(BatchItems, 0, min(n, 64))
	for i := 0; i < n && !r.bad; i++ {
		out = append(out, r.batchItem())
	}
	return out
}

func (r *wireReader) batchItem() (it BatchItem) {
	var seen uint16
	for n, i := r.mapLen(), 0; i < n && !r.bad; i++ {
		switch string(r.str()) {
		case "coord":
			r.once(&seen, 1<<0)
			it.Coordinate = r.coordinate()
		case "kind":
			r.once(&seen, 1<<1)
			it.Kind = EventKind(r.num())
		case "payload":
			r.once(&seen, 1<<2)
			it.Payload = r.bytes()
		case "corr":
			r.once(&seen, 1<<3)
			it.CorrelationID = r.id()
		case "cause":
			r.once(&seen, 1<<4)
			it.Causation = r.causation()
		case "key":
			r.once(&seen, 1<<5)
			it.IdempotencyKey = r.id()
		case "expected":
			r.once(&seen, 1<<6)
			it.Expected = r.expected()
		case "meta":
			r.once(&seen, 1<<7)
			it.Metadata = r.strMap()
		default:
			r.fail()
		}
	}
	return it
}

func (r *wireReader) causation() (c CausationRef) {
	var seen uint16
	for n, i := r.mapLen(), 0; i < n && !r.bad; i++ {
		switch string(r.str()) {
		case "mode":
			r.once(&seen, 1<<0)
			c.Mode = CauseMode(r.num())
		case "id":
			r.once(&seen, 1<<1)
			c.ID = r.id()
		case "index":
			r.once(&seen, 1<<2)
			c.Index = int(int64(r.num()))
		default:
			r.fail()
		}
	}
	return c
}

func (r *wireReader) appendBatchReply() (m AppendBatchReply) {
	var seen uint16
	for n, i := r.mapLen(), 0; i < n && !r.bad; i++ {
		switch string(r.str()) {
		case "receipts":
			r.once(&seen, 1<<0)
			m.Receipts = r.receipts()
		case "err":
			r.once(&seen, 1<<1)
			if !r.isNil() { // a failure: left to msgpack
				r.fail()
			}
		default:
			r.fail()
		}
	}
	return m
}

// receipts reads what Receipts.DecodeMsgpack reads.
func (r *wireReader) receipts() Receipts {
	if r.isNil() {
		return nil
	}
	n := r.arrayLen()
	out := make(Receipts, 0, min(n, 64))
	for i := 0; i < n && !r.bad; i++ {
		out = append(out, r.receipt())
	}
	return out
}
