package main

import (
	"context"
	"fmt"
)

// version and commit are set at build time:
//
//	go build -ldflags "-X main.version=1.2.3 -X main.commit=abc123" ./cmd/supportbot
var (
	version = "dev"
	commit  = ""
)

func cmdVersion(_ context.Context, e *env, _ []string) error {
	if commit != "" {
		fmt.Fprintf(e.stdout, "supportbot %s (%s)\n", version, commit)
		return nil
	}
	fmt.Fprintf(e.stdout, "supportbot %s\n", version)
	return nil
}
