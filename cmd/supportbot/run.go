package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// errUsage is returned for a command line we cannot make sense of; the usage text
// has already been printed.
var errUsage = errors.New("usage")

// command is one subcommand: it gets the parsed global configuration and the
// arguments after its name.
type command struct {
	name, usage string
	run         func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"chat", "talk with the bot in the terminal", cmdChat},
		{"ask", "[--json] TEXT...  one message in, one reply out", cmdAsk},
		{"run", "serve every platform whose token is set", cmdServe},
		{"stats", "[--since DURATION] [--platform NAME] [--community ID] [--json] [--png FILE]  the usage report", cmdStats},
		{"kb", "check | export  validate or export the knowledge base", cmdKB},
		{"eval", "[--min X] FILE  score the matcher on a labelled question file", cmdEval},
		{"health", "check /healthz of a running instance", cmdHealth},
		{"version", "print the version", cmdVersion},
	}
}

// run is the whole program, with the outside world passed in so tests can run it
// in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	e, rest, err := parseGlobal(args, getenv, stdin, stdout, stderr)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		printUsage(stderr)
		return errUsage
	}
	for _, c := range commands() {
		if c.name == rest[0] {
			e.stop = stop
			return c.run(ctx, e, rest[1:])
		}
	}
	if rest[0] == "help" || rest[0] == "-h" || rest[0] == "--help" {
		printUsage(stdout)
		return nil
	}
	printUsage(stderr)
	return fmt.Errorf("unknown command %q", rest[0])
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: supportbot [--db PATH] [--kb DIR] [--http ADDR] [--log-format text|json] [--log-level LEVEL] [--retention 90d] COMMAND")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.usage)
	}
}
