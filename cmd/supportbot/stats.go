package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/supportbot/supportbot/store"
)

// cmdStats is `supportbot stats`: the moderators' usage report from the stats
// store, as text (default), JSON (--json) and optionally a PNG chart (--png).
// It opens the database read-only: a report never creates or changes the file.
func cmdStats(ctx context.Context, e *env, args []string) error {
	fl := e.flagSet("stats")
	since := fl.String("since", "7d", "report this far back: a Go `duration` (72h) or days (30d) or weeks (2w)")
	platform := fl.String("platform", "", "only this `platform` (telegram, discord, console)")
	community := fl.String("community", "", "only this community `id` (a group or guild id, or dm)")
	asJSON := fl.Bool("json", false, "print the report as one JSON object")
	pngFile := fl.String("png", "", "also draw daily activity and top topics to this PNG `file`")
	if err := fl.Parse(args); err != nil {
		return errUsage
	}
	if fl.NArg() > 0 {
		fmt.Fprintln(e.stderr, "usage: supportbot stats [--since DURATION] [--platform NAME] [--community ID] [--json] [--png FILE]")
		return errUsage
	}
	d, err := parseSince(*since)
	if err != nil {
		return fmt.Errorf("--since: %w", err)
	}
	now := time.Now()
	f := store.Filter{Since: now.Add(-d), Until: now, Platform: *platform, Community: *community}

	var rep *store.Report
	db, err := store.Open(ctx, e.cfg.DB, store.Options{ReadOnly: true, Logger: e.logger()})
	switch {
	case errors.Is(err, store.ErrNoDatabase):
		// Nothing recorded yet: an empty report, and a plain word about why.
		rep = store.EmptyReport(f)
		fmt.Fprintf(e.stderr, "No usage data yet: %s does not exist (the bot creates it when it first answers someone).\n", e.cfg.DB)
	case errors.Is(err, store.ErrIsDirectory):
		return fmt.Errorf("%s is a directory, not a stats database: point --db / SUPPORTBOT_DB at the database file (supportbot.db by default)", e.cfg.DB)
	case errors.Is(err, store.ErrNotDatabase):
		return fmt.Errorf("%s is not a stats database (a wrong file, or a damaged one): point --db / SUPPORTBOT_DB at the bot's database file", e.cfg.DB)
	case err != nil:
		return err
	default:
		defer db.Close(ctx)
		if rep, err = db.Report(ctx, f); err != nil {
			return err
		}
	}

	if *pngFile != "" {
		img, err := rep.PNG()
		if err != nil {
			return err
		}
		if err := os.WriteFile(*pngFile, img, 0o644); err != nil {
			return fmt.Errorf("write chart: %w", err)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return rep.WriteText(e.stdout)
}

// parseSince reads a report range: a Go duration (36h, 90m), or days or weeks
// (30d, 2w, 1d12h). It must be positive.
func parseSince(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var total time.Duration
	rest := s
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour}} {
		i := strings.Index(rest, u.suffix)
		if i <= 0 {
			continue
		}
		n, err := strconv.Atoi(rest[:i])
		if err != nil {
			break
		}
		total += time.Duration(n) * u.unit
		rest = rest[i+1:]
	}
	if rest != "" {
		d, err := time.ParseDuration(rest)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration like 30d, 2w or 72h", s)
		}
		total += d
	}
	if total <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration like 30d, 2w or 72h", s)
	}
	return total, nil
}
