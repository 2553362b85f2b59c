// Command supportbot is a chat bot that helps people choose between a support
// group and group therapy, on Telegram, Discord and the terminal. See the README
// and shared/CONTRACT.md for the command line.
package main

import (
	"context"
	"fmt"
	"os"
)

func main() {
	holdGCWhileStarting(os.Getenv)
	if err := run(context.Background(), os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "supportbot:", err)
		os.Exit(1)
	}
}
