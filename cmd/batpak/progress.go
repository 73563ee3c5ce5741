package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress draws a progress bar on stderr for a long read: only when
// stderr is a terminal (never into a pipe, a file or a test's buffer) and
// only once the read has taken progressDelay, so that a quick run prints
// nothing; --progress=always draws it wherever stderr goes, never draws
// none. It is cleared when the read ends.
type progress struct {
	w     io.Writer
	on    bool
	delay time.Duration
	start time.Time
	label string
	bar   *progressbar.ProgressBar
}

// progressDelay is how long a read runs before auto shows a bar.
const progressDelay = 750 * time.Millisecond

// progressModes are the values of --progress.
var progressModes = map[string]bool{"auto": true, "always": true, "never": true}

func newProgress(w io.Writer, mode, label string) (*progress, error) {
	if !progressModes[mode] {
		return nil, fmt.Errorf("--progress %q: want auto, always or never", mode)
	}
	p := &progress{w: w, label: label, start: time.Now(), delay: progressDelay}
	switch mode {
	case "always":
		p.on, p.delay = true, 0
	case "auto":
		p.on = isTerminal(w)
	}
	return p, nil
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// update shows done of total bytes.
func (p *progress) update(done, total int64) {
	if !p.on || time.Since(p.start) < p.delay {
		return
	}
	if p.bar == nil {
		p.bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(p.w), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription(p.label), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish(), progressbar.OptionSetWidth(30))
	}
	if total > p.bar.GetMax64() {
		p.bar.ChangeMax64(total)
	}
	_ = p.bar.Set64(done)
}

// finish clears the bar, if one was drawn.
func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
		_ = p.bar.Clear()
	}
}
