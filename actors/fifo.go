package actors

// fifo is a first-in, first-out queue on a ring buffer whose length is a
// power of two. It grows by doubling and gives a large buffer back once it
// is empty, so a burst does not keep its memory. Not safe for concurrent
// use.
type fifo[T any] struct {
	buf     []T
	head, n int
}

// fifoKeep is the largest buffer an empty queue keeps.
const fifoKeep = 1024

func (q *fifo[T]) len() int { return q.n }

func (q *fifo[T]) push(v T) {
	if q.n == len(q.buf) {
		q.grow()
	}
	q.buf[(q.head+q.n)&(len(q.buf)-1)] = v
	q.n++
}

// pop takes the oldest element, or returns false when the queue is empty.
func (q *fifo[T]) pop() (T, bool) {
	var zero T
	if q.n == 0 {
		return zero, false
	}
	v := q.buf[q.head]
	q.buf[q.head] = zero // no reference kept to what was handed out
	q.head = (q.head + 1) & (len(q.buf) - 1)
	q.n--
	if q.n == 0 {
		q.head = 0
		if len(q.buf) > fifoKeep {
			q.buf = nil
		}
	}
	return v, true
}

func (q *fifo[T]) grow() {
	size := 2 * len(q.buf)
	if size == 0 {
		size = 16
	}
	buf := make([]T, size)
	for i := 0; i < q.n; i++ {
		buf[i] = q.buf[(q.head+i)&(len(q.buf)-1)]
	}
	q.buf, q.head = buf, 0
}
