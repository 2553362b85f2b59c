package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/supportbot/supportbot/knowledge"
)

// cmdKB is `supportbot kb check` and `supportbot kb export`.
func cmdKB(_ context.Context, e *env, args []string) error {
	fl := e.flagSet("kb")
	if err := fl.Parse(args); err != nil {
		return errUsage
	}
	rest := fl.Args()
	if len(rest) == 0 || (rest[0] != "check" && rest[0] != "export") {
		fmt.Fprintln(e.stderr, "usage: supportbot kb check | export")
		return errUsage
	}
	verb := rest[0]
	// Flags may also follow the verb: supportbot kb check --kb DIR.
	if err := fl.Parse(rest[1:]); err != nil || fl.NArg() > 0 {
		fmt.Fprintln(e.stderr, "usage: supportbot kb check | export")
		return errUsage
	}
	rest = []string{verb}
	where := "the built-in knowledge base"
	if e.cfg.KB != "" {
		where = e.cfg.KB
	}
	k, err := knowledge.Load(e.knowledgeFS())
	if rest[0] == "check" {
		var ps knowledge.Problems
		if errors.As(err, &ps) {
			for _, p := range ps {
				fmt.Fprintln(e.stdout, p)
			}
			return fmt.Errorf("%s has %d problem(s)", where, len(ps))
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s is fine: %d topics.\n", where, len(k.Topics))
		return nil
	}
	if err != nil {
		return fmt.Errorf("load %s (run `supportbot kb check`):\n%w", where, err)
	}
	type topic struct {
		ID        string   `json:"id"`
		Title     string   `json:"title"`
		Questions []string `json:"questions"`
		Answer    string   `json:"answer"`
	}
	out := struct {
		Topics []topic `json:"topics"`
	}{Topics: make([]topic, 0, len(k.Topics))}
	for _, t := range k.Topics {
		out.Topics = append(out.Topics, topic{ID: t.ID, Title: t.Title, Questions: t.Questions, Answer: t.Answer})
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
