package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/batpak-go/batpak/storage/format"
)

// origin is a file of the store as repair found it: bytes [0, orig) of it
// are still the bytes it had then (a cut or a write by the engine lowers
// orig). Only original bytes are saved when cut: bytes the engine wrote
// during the repair (a footer it sealed a segment with) were never the
// store's data.
type origin struct {
	name string // the file's name when repair started
	orig int64
}

// repairAction is one change repair made (or, in a dry run, would make)
// to a file that was in the store when it started.
type repairAction struct {
	// Op is "cut" (the file was truncated), "remove" or "rename".
	Op string `json:"op"`
	// File is the file's name when repair started.
	File string `json:"file"`
	// From and To delimit the original bytes cut or removed: [From, To).
	From int64 `json:"from,omitempty"`
	To   int64 `json:"to,omitempty"`
	// NewName is a rename's new name.
	NewName string `json:"new_name,omitempty"`
	// SavedAs is the side file holding the bytes cut, relative to the
	// store directory; empty when they were not saved (a dry run, a file
	// derived from the segments, or no bytes).
	SavedAs string `json:"saved_as,omitempty"`
	// Frames says what the bytes cut from a segment held.
	Frames *frameCount `json:"frames,omitempty"`
}

// tracker records the changes made to the store's original files and,
// unless dry, saves their bytes before they go.
type tracker struct {
	dir     string
	dry     bool
	side    *sideDir
	files   map[string]*origin // by path, the original files still there
	actions []repairAction
}

// isSegment reports whether the base name is a segment file's: only
// segments hold events, so only their bytes are saved.
func isSegment(name string) bool {
	_, ok := format.ParseSegmentName(name)
	return ok
}

// cut records that o is cut to n; r reads its current content.
func (t *tracker) cut(o *origin, r io.ReaderAt, n int64) error {
	if o == nil || n >= o.orig {
		return nil
	}
	a := repairAction{Op: "cut", File: o.name, From: n, To: o.orig}
	if err := t.save(&a, r); err != nil {
		return err
	}
	o.orig = n
	t.actions = append(t.actions, a)
	return nil
}

// removed records that the file at path goes away; r reads its content.
func (t *tracker) removed(path string, r io.ReaderAt) error {
	o := t.files[path]
	if o == nil {
		return nil
	}
	a := repairAction{Op: "remove", File: o.name, To: o.orig}
	if err := t.save(&a, r); err != nil {
		return err
	}
	delete(t.files, path)
	t.actions = append(t.actions, a)
	return nil
}

// renamed records a rename; a file renamed over goes away (see removed).
func (t *tracker) renamed(oldPath, newPath string, over io.ReaderAt) error {
	if over != nil {
		if err := t.removed(newPath, over); err != nil {
			return err
		}
	}
	o := t.files[oldPath]
	if o == nil {
		return nil
	}
	delete(t.files, oldPath)
	t.files[newPath] = o
	t.actions = append(t.actions, repairAction{Op: "rename", File: o.name, NewName: filepath.Base(newPath)})
	return nil
}

// wrote records a write at off to o.
func (t *tracker) wrote(o *origin, off int64) {
	if o != nil && off < o.orig {
		o.orig = off
	}
}

// save counts the frames of a segment's bytes [a.From, a.To) and, unless
// dry, copies them into a side file, durably, before they go.
func (t *tracker) save(a *repairAction, r io.ReaderAt) error {
	if a.To <= a.From || !isSegment(a.File) {
		return nil
	}
	from := a.From
	if from < format.HeaderSize {
		from = format.HeaderSize // frames start after the header
	}
	c, err := countFrames(r, from, a.To)
	if err != nil {
		return fmt.Errorf("repair: read %s before cutting it: %w", a.File, err)
	}
	a.Frames = &c
	if t.dry {
		return nil
	}
	name := fmt.Sprintf("%s.from-%d.cut", a.File, a.From)
	if err := t.side.save(name, io.NewSectionReader(r, a.From, a.To-a.From)); err != nil {
		return err
	}
	a.SavedAs = filepath.Join(filepath.Base(t.side.path), name)
	return nil
}

// describe is the action in one line, for the report.
func (a *repairAction) describe(dry bool) string {
	verb := map[bool]string{false: "", true: "would be "}[dry]
	var b strings.Builder
	switch a.Op {
	case "cut":
		fmt.Fprintf(&b, "%s: %d bytes from offset %d to %d %scut", a.File, a.To-a.From, a.From, a.To, verb)
	case "remove":
		fmt.Fprintf(&b, "%s: %sremoved (%d bytes)", a.File, verb, a.To)
	case "rename":
		fmt.Fprintf(&b, "%s: %srenamed %s (kept: its bytes stay there)", a.File, verb, a.NewName)
	}
	if f := a.Frames; f != nil {
		fmt.Fprintf(&b, "; they hold %s", countOf(f.Events, "event frame"))
		if f.Damaged > 0 {
			fmt.Fprintf(&b, ", %s", countOf(f.Damaged, "damaged frame"))
		}
		if f.Undecodable > 0 {
			fmt.Fprintf(&b, ", %d bytes that do not decode as frames", f.Undecodable)
		}
		if f.Footer > 0 {
			fmt.Fprintf(&b, ", the footer")
		}
	}
	if a.SavedAs != "" {
		fmt.Fprintf(&b, "; saved as %s", a.SavedAs)
	}
	return b.String()
}

// describeActions describes the actions in order, one line each, except
// that the changes to files derived from the segments (index checkpoints)
// share one line per operation.
func describeActions(actions []repairAction, dry bool) []string {
	var lines []string
	derived := map[string][]string{}
	var ops []string
	for i := range actions {
		a := &actions[i]
		if isSegment(a.File) || strings.HasSuffix(a.File, format.SegmentExt+".dropped") {
			lines = append(lines, a.describe(dry))
			continue
		}
		if derived[a.Op] == nil {
			ops = append(ops, a.Op)
		}
		derived[a.Op] = append(derived[a.Op], a.File)
	}
	verb := map[string]string{"cut": "cut", "remove": "removed", "rename": "renamed"}
	for _, op := range ops {
		would := ""
		if dry {
			would = "would be "
		}
		lines = append(lines, fmt.Sprintf("%s %s%s (derived from the segments, rebuilt as needed: not saved)",
			strings.Join(derived[op], " "), would, verb[op]))
	}
	return lines
}

// countOf is "1 thing" or "n things".
func countOf(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
