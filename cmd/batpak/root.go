package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
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

Exit status: 0 success (verify: clean), 1 bad input or another error,
2 usage error, 3 corruption found, 4 I/O error.`,
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
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
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
