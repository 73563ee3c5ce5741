package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
)

// dotCommand is the Graphviz program graph --svg runs.
const dotCommand = "dot"

// findDot returns the path of Graphviz's dot, or a one-line error saying
// it is not installed.
func findDot() (string, error) {
	path, err := exec.LookPath(dotCommand)
	if err != nil {
		return "", errors.New("graph: --svg needs Graphviz's dot, which is not installed (not found in PATH): install Graphviz (e.g. apt-get install graphviz), or drop --svg and render the DOT output elsewhere")
	}
	return path, nil
}

// renderSVG runs dot on the DOT text to write the SVG file out.
func renderSVG(dotPath string, dot io.Reader, out string) error {
	var stderr bytes.Buffer
	cmd := exec.Command(dotPath, "-Tsvg", "-o", out)
	cmd.Stdin, cmd.Stderr = dot, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("graph: %s failed: %s", dotPath, msg)
	}
	return nil
}
