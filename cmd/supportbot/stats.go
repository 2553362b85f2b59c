package main

import (
	"context"
	"errors"
)

// cmdStats is `supportbot stats`. STUB (issue 5).
func cmdStats(ctx context.Context, e *env, args []string) error {
	return errors.New("stats is not built yet")
}
