package storage

import "github.com/batpak-go/batpak/messages"

// The ref sources of the reads. Each fixes its upper bound when it first
// looks at the index, so that a read sees the events committed when it
// started, a consistent prefix of the log, whatever the writer adds
// meanwhile (positions in the index never move while it is open).

// readScanMax bounds the positions a filtered read looks at under one hold
// of the read lock, so that a filter that matches little does not keep the
// writer's publish waiting.
const readScanMax = 64 << 10

// querySource yields the refs that match a filter, in global order or
// backward.
type querySource struct {
	f        Filter
	lo, hi   int // positions still to look at: [lo, hi)
	total    int // hi - lo at the start
	started  bool
	left     int    // matches still wanted; -1: no limit
	streamOK []int8 // per stream: 0 not looked at yet, 1 matches, -1 does not
}

func newQuerySource(f Filter) *querySource {
	q := &querySource{f: f, left: -1}
	if f.Limit > 0 {
		q.left = f.Limit
	}
	return q
}

func (q *querySource) next(x *index, dst []ref) ([]ref, bool) {
	if !q.started {
		q.started = true
		q.lo, q.hi = x.bySeq(q.f.FromSeq), x.count()
		if q.f.BeforeSeq != 0 {
			q.hi = min(q.hi, x.bySeq(q.f.BeforeSeq))
		}
		q.total = max(q.hi-q.lo, 0)
		if !q.f.selectsAll() {
			q.streamOK = make([]int8, len(x.streams))
		}
	}
	all := q.f.selectsAll()
	for looked := 0; len(dst) < cap(dst) && q.lo < q.hi && q.left != 0 && looked < readScanMax; looked++ {
		var p uint32
		if q.f.Backward {
			q.hi--
			p = uint32(q.hi)
		} else {
			p = uint32(q.lo)
			q.lo++
		}
		if !all && !q.match(x, p) {
			continue
		}
		dst = append(dst, x.ref(p))
		if q.left > 0 {
			q.left--
		}
	}
	return dst, q.lo < q.hi && q.left != 0
}

func (q *querySource) size() int {
	if !q.f.selectsAll() {
		return 0 // as many as match
	}
	if q.f.Limit > 0 {
		return min(q.total, q.f.Limit)
	}
	return q.total
}

func (q *querySource) match(x *index, p uint32) bool {
	en := x.at(p)
	for int(en.stream) >= len(q.streamOK) {
		q.streamOK = append(q.streamOK, 0)
	}
	ok := &q.streamOK[en.stream]
	if *ok == 0 {
		*ok = -1
		if q.f.matchStream(x.streams[en.stream].coord) {
			*ok = 1
		}
	}
	return *ok > 0 && q.f.matchKind(en.kind)
}

// streamSource yields one entity's refs by version, either way.
type streamSource struct {
	c       messages.Coordinate
	r       StreamRange
	ver     uint64 // the next version; 0 when done
	last    uint64 // forward: the last version read
	started bool
	left    int // events still wanted; -1: no limit
	total   int // the events selected, as known at the start
}

func newStreamSource(c messages.Coordinate, r StreamRange) *streamSource {
	s := &streamSource{c: c, r: r, left: -1}
	if r.Limit > 0 {
		s.left = r.Limit
	}
	return s
}

func (s *streamSource) next(x *index, dst []ref) ([]ref, bool) {
	st, _ := x.lookupStream(s.c)
	if st == nil {
		return dst, false
	}
	if !s.started {
		s.started = true
		n := uint64(len(st.pos))
		switch {
		case !s.r.Backward:
			s.ver, s.last = max(s.r.From, 1), n
			if s.ver > n {
				s.ver = 0
			}
		case s.r.From == 0:
			s.ver = n
		default:
			s.ver = min(s.r.From, n)
		}
		switch {
		case s.ver == 0:
		case s.r.Backward:
			s.total = int(s.ver)
		default:
			s.total = int(s.last - s.ver + 1)
		}
		if s.r.Limit > 0 {
			s.total = min(s.total, s.r.Limit)
		}
	}
	for len(dst) < cap(dst) && s.ver != 0 && s.left != 0 {
		dst = append(dst, x.ref(st.pos[s.ver-1]))
		if s.left > 0 {
			s.left--
		}
		switch {
		case s.r.Backward:
			s.ver--
		case s.ver == s.last:
			s.ver = 0
		default:
			s.ver++
		}
	}
	return dst, s.ver != 0 && s.left != 0
}

func (s *streamSource) size() int { return s.total }

// listSource yields the refs of given positions, in the order given.
type listSource struct {
	pos   []uint32
	total int
}

func newListSource(pos []uint32) *listSource { return &listSource{pos: pos, total: len(pos)} }

func (l *listSource) size() int { return l.total }

func (l *listSource) next(x *index, dst []ref) ([]ref, bool) {
	for len(dst) < cap(dst) && len(l.pos) > 0 {
		dst = append(dst, x.ref(l.pos[0]))
		l.pos = l.pos[1:]
	}
	return dst, len(l.pos) > 0
}
