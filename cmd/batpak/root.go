package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// env is what every command writes to and reads from.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// commands are the subcommands' constructors; each command's file adds
// its own in an init function, so that commands live one per file.
var commands []func(*env) *cobra.Command

// register adds a subcommand constructor (called from init functions).
func register(c func(*env) *cobra.Command) { commands = append(commands, c) }

// newRoot builds the root command with every registered subcommand.
func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "batpak",
		Short: "Verify, inspect, follow, draw, back up and repair a batpak-go store",
		Long: `batpak works on a batpak-go store directory without writing code.

Every command works on a directory a running store holds (read-only, taking
no lock that would stop the writer) and on a closed one; only repair and
import ever change a store.

Exit status: 0 success (verify: clean), 1 bad input (not a store, a missing
or unreadable directory, a bad flag value) or another error, 2 usage error
(an unknown command or flag, a missing argument), 3 corruption found, 4 I/O
error (also when the output cannot be written). A reader that stops early
(batpak dump DIR | head -1) ends batpak quietly by SIGPIPE (exit status 141
in a shell).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return &usageError{fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(flagError)
	for _, c := range commands {
		root.AddCommand(c(e))
	}
	return root
}

// exactArgs is cobra.ExactArgs whose error is a usage error.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return &usageError{err}
		}
		return nil
	}
}

// flagError classifies an error parsing the flags: a value that does not
// parse (--limit many, --from -1) is a bad flag value, exit status 1 like
// one out of range (--limit -1); anything else (an unknown flag, a missing
// value) is a usage error, exit status 2.
func flagError(_ *cobra.Command, err error) error {
	var bad *pflag.InvalidValueError
	if errors.As(err, &bad) {
		return err
	}
	return &usageError{err}
}
