package main

import (
	"context"
	"errors"
)

// cmdHealth is `supportbot health`. STUB (issue 8).
func cmdHealth(ctx context.Context, e *env, args []string) error {
	return errors.New("health is not built yet")
}
