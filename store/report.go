package store

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/supportbot/supportbot/bot"
)

// Filter narrows a [Report]: the time range [Since, Until) and, when not empty,
// one platform and one community.
type Filter struct {
	Since, Until time.Time
	Platform     string
	Community    string
}

// Report is the moderators' usage report. Its JSON encoding is the output of
// `supportbot stats --json` (see shared/CONTRACT.md for the keys that are fixed).
//
// Hourly rows make the range exact to the hour; rows older than the retention
// age are daily, and a day that overlaps the range counts whole.
type Report struct {
	Since     time.Time `json:"since"`
	Until     time.Time `json:"until"`
	Platform  string    `json:"platform,omitempty"`
	Community string    `json:"community,omitempty"`

	Sessions int64            `json:"sessions"`
	Messages int64            `json:"messages"`
	ByKind   map[string]int64 `json:"by_kind"`  // every reply kind, zeros included
	ByTopic  map[string]int64 `json:"by_topic"` // answers by topic id
	Triage   Triage           `json:"triage"`
	// ByPlatform counts messages by platform.
	ByPlatform map[string]int64 `json:"by_platform"`

	Fallbacks      int64   `json:"fallbacks"`     // replies of kind fallback
	FallbackRate   float64 `json:"fallback_rate"` // Fallbacks / Messages, 0 when there are none
	Clarifications int64   `json:"clarifications"`
	CrisisShown    int64   `json:"crisis_shown"` // replies of kind crisis
	// Errors counts failures by bot.ErrorKind. Store errors and dropped events
	// belong to the process, not to a platform, and are shown in every report.
	Errors  map[string]int64 `json:"errors"`
	Dropped int64            `json:"dropped"`
	// Days is the per-day series over the range (UTC days).
	Days []Day `json:"days"`
	// Counters holds, by name, each of [Counters] that has no field of its
	// own above (none yet: a new counter lands here until it earns one).
	Counters map[string]*Count `json:"counters,omitempty"`
}

// Count is the total of one of [Counters] and, when it has a Label, its counts
// by key.
type Count struct {
	Total int64            `json:"total"`
	ByKey map[string]int64 `json:"by_key,omitempty"`
}

func (c *Count) add(key string, n int64) {
	c.Total += n
	if key != "" {
		if c.ByKey == nil {
			c.ByKey = map[string]int64{}
		}
		c.ByKey[key] += n
	}
}

// Triage is the triage funnel.
type Triage struct {
	Started int64 `json:"started"`
	// Steps[i] is how often question i+1 was shown.
	Steps     []int64          `json:"steps"`
	Completed int64            `json:"completed"` // reached an outcome
	Outcomes  map[string]int64 `json:"outcomes"`
}

// Day is one day of activity.
type Day struct {
	Date     string `json:"date"` // YYYY-MM-DD, UTC
	Messages int64  `json:"messages"`
	Sessions int64  `json:"sessions"`
}

// Empty reports whether the report found nothing at all.
func (r *Report) Empty() bool {
	for _, c := range r.Counters {
		if c.Total != 0 {
			return false
		}
	}
	return r.Messages == 0 && r.Sessions == 0 && len(r.Errors) == 0 && r.Dropped == 0 && r.Triage.Started == 0
}

// EmptyReport is the report of a store with no data, for f: every key present,
// every count zero. `supportbot stats` prints it when the database file does
// not exist yet.
func EmptyReport(f Filter) *Report { return newReport(f) }

func newReport(f Filter) *Report {
	r := &Report{
		Since:      f.Since.UTC().Truncate(time.Second),
		Until:      f.Until.UTC().Truncate(time.Second),
		Platform:   f.Platform,
		Community:  f.Community,
		ByKind:     make(map[string]int64, len(bot.Kinds)),
		ByTopic:    map[string]int64{},
		ByPlatform: map[string]int64{},
		Errors:     map[string]int64{},
		Triage:     Triage{Steps: []int64{}, Outcomes: map[string]int64{}},
		Days:       []Day{},
	}
	for _, k := range bot.Kinds {
		r.ByKind[string(k)] = 0
	}
	for _, c := range Counters {
		if c.fold == nil {
			if r.Counters == nil {
				r.Counters = map[string]*Count{}
			}
			r.Counters[c.Name] = &Count{}
		}
	}
	for d := r.Since.Truncate(24 * time.Hour); d.Before(r.Until); d = d.Add(24 * time.Hour) {
		r.Days = append(r.Days, Day{Date: d.Format(time.DateOnly)})
	}
	return r
}

// Report builds the usage report for f. A zero Until means now; a zero Since
// means seven days before Until.
func (d *DB) Report(ctx context.Context, f Filter) (*Report, error) {
	if f.Until.IsZero() {
		f.Until = d.opt.Now()
	}
	if f.Since.IsZero() {
		f.Since = f.Until.Add(-7 * 24 * time.Hour)
	}
	r := newReport(f)
	db, err := d.db()
	if err != nil {
		return nil, err
	}
	ok, err := hasCounts(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("stats report: %w", err)
	}
	if !ok {
		return r, nil
	}
	// Store errors and dropped events are recorded under platform "" and belong
	// in every report, whatever the filter.
	rows, err := db.QueryContext(ctx, `SELECT bucket, platform, metric, key, SUM(count)
FROM counts
WHERE bucket + span > ? AND bucket < ?
  AND (platform = '' OR ((? = '' OR platform = ?) AND (? = '' OR community = ?)))
GROUP BY bucket, platform, metric, key`,
		f.Since.Unix(), f.Until.Unix(), f.Platform, f.Platform, f.Community, f.Community)
	if err != nil {
		return nil, fmt.Errorf("stats report: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			bucket, n             int64
			platform, metric, key string
		)
		if err := rows.Scan(&bucket, &platform, &metric, &key, &n); err != nil {
			return nil, fmt.Errorf("stats report: %w", err)
		}
		r.add(bucket, platform, metric, key, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("stats report: %w", err)
	}
	r.Fallbacks = r.ByKind[string(bot.KindFallback)]
	r.CrisisShown = r.ByKind[string(bot.KindCrisis)]
	if r.Messages > 0 {
		r.FallbackRate = float64(r.Fallbacks) / float64(r.Messages)
	}
	return r, nil
}

// add folds one counter row into the report.
func (r *Report) add(bucket int64, platform, metric, key string, n int64) {
	c := counterNamed(metric)
	if c == nil {
		return // a counter this version no longer keeps
	}
	var dayp *Day
	if i := int((bucket - r.Since.Truncate(24*time.Hour).Unix()) / day); i >= 0 && i < len(r.Days) {
		dayp = &r.Days[i]
	}
	if c.fold != nil {
		c.fold(r, platform, key, n, dayp)
		return
	}
	r.Counters[c.Name].add(key, n)
}

// Summary is the report behind a chat's /stats: the text report and its chart
// for one platform and community ("" for all of the platform's communities)
// over the last since (seven days when since is not positive).
func (d *DB) Summary(ctx context.Context, platform, community string, since time.Duration) (text string, png []byte, err error) {
	if since <= 0 {
		since = 7 * 24 * time.Hour
	}
	now := d.opt.Now()
	r, err := d.Report(ctx, Filter{Since: now.Add(-since), Until: now, Platform: platform, Community: community})
	if err != nil {
		return "", nil, err
	}
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		return "", nil, err
	}
	png, err = r.PNG()
	if err != nil {
		return "", nil, err
	}
	return b.String(), png, nil
}

// topTopics returns up to n topics by count, most asked first.
func (r *Report) topTopics(n int) []string {
	ids := slices.Collect(maps.Keys(r.ByTopic))
	slices.SortFunc(ids, func(a, b string) int {
		return cmp.Or(cmp.Compare(r.ByTopic[b], r.ByTopic[a]), strings.Compare(a, b))
	})
	return ids[:min(n, len(ids))]
}

// sortedByCount returns m's keys, largest count first.
func sortedByCount(m map[string]int64) []string {
	ks := slices.Collect(maps.Keys(m))
	slices.SortFunc(ks, func(a, b string) int {
		return cmp.Or(cmp.Compare(m[b], m[a]), strings.Compare(a, b))
	})
	return ks
}

const (
	barWidth = 20 // characters of the longest bar
	topN     = 10 // topics shown
	// maxSparkDays is the longest range drawn one day per character.
	maxSparkDays = 31
)

// WriteText writes the report for a person to read: totals with a per-day
// sparkline, replies by kind, top topics with bars, the fallback rate, the
// triage funnel and its outcomes, any other [Counters], crisis replies, errors
// and dropped events.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	scope := "all platforms"
	switch {
	case r.Platform != "" && r.Community != "":
		scope = "platform " + r.Platform + ", community " + r.Community
	case r.Platform != "":
		scope = "platform " + r.Platform + ", all communities"
	case r.Community != "":
		scope = "community " + r.Community
	}
	fmt.Fprintf(&b, "supportbot usage, %s – %s UTC (%s)\n",
		r.Since.Format("2 Jan 2006 15:04"), r.Until.Format("2 Jan 2006 15:04"), scope)
	if r.Empty() {
		b.WriteString("\nNo usage recorded in this period.\n")
		_, err := io.WriteString(w, b.String())
		return err
	}

	// One character a day; beyond maxSparkDays, one a week (counted back from
	// the last day) so the line still fits a phone's chat bubble.
	per := 1
	if len(r.Days) > maxSparkDays {
		per = 7
	}
	var msgs, sess []int64
	for i := range r.Days {
		d := r.Days[len(r.Days)-1-i]
		if i%per == 0 {
			msgs, sess = append(msgs, 0), append(sess, 0)
		}
		msgs[len(msgs)-1] += d.Messages
		sess[len(sess)-1] += d.Sessions
	}
	slices.Reverse(msgs)
	slices.Reverse(sess)
	b.WriteString("\n")
	fmt.Fprintf(&b, "%-20s %6d  %s\n", "Messages", r.Messages, sparkline(msgs))
	fmt.Fprintf(&b, "%-20s %6d  %s\n", "Sessions", r.Sessions, sparkline(sess))
	if n := len(r.Days); n > 0 {
		first, last := shortDate(r.Days[0].Date), shortDate(r.Days[n-1].Date)
		axis := dayAxis(first, last, len(msgs))
		if per > 1 {
			axis += " (weekly)"
		}
		fmt.Fprintf(&b, "%-20s %6s  %s\n", "", "", axis)
	}

	b.WriteString("\nReplies\n")
	maxKind := int64(0)
	for _, v := range r.ByKind {
		maxKind = max(maxKind, v)
	}
	for _, k := range bot.Kinds {
		v := r.ByKind[string(k)]
		fmt.Fprintf(&b, "  %-18s %6d  %s\n", k, v, bar(v, maxKind))
	}
	fmt.Fprintf(&b, "  No answer found for %s of messages (%d of %d).\n", percent(r.Fallbacks, r.Messages), r.Fallbacks, r.Messages)
	if r.Clarifications > 0 {
		fmt.Fprintf(&b, "  Asked which topic was meant %d time(s).\n", r.Clarifications)
	}

	b.WriteString("\nTop topics\n")
	top := r.topTopics(topN)
	if len(top) == 0 {
		b.WriteString("  none answered\n")
	}
	for _, id := range top {
		fmt.Fprintf(&b, "  %-18s %6d  %s\n", clip(id, 18), r.ByTopic[id], bar(r.ByTopic[id], r.ByTopic[top[0]]))
	}
	if more := len(r.ByTopic) - len(top); more > 0 {
		fmt.Fprintf(&b, "  … and %d more topic(s)\n", more)
	}

	t := r.Triage
	b.WriteString("\nTriage\n")
	if t.Started == 0 && t.Completed == 0 {
		b.WriteString("  not started\n")
	} else {
		top := t.Started
		for _, v := range t.Steps {
			top = max(top, v)
		}
		fmt.Fprintf(&b, "  %-18s %6d  %s\n", "started", t.Started, bar(t.Started, top))
		for i, v := range t.Steps {
			fmt.Fprintf(&b, "  %-18s %6d  %s\n", "question "+strconv.Itoa(i+1), v, bar(v, top))
		}
		fmt.Fprintf(&b, "  %-18s %6d  %s  %s of started\n", "completed", t.Completed, bar(t.Completed, top), percent(t.Completed, t.Started))
		if len(t.Outcomes) > 0 {
			b.WriteString("  outcomes: ")
			b.WriteString(countList(t.Outcomes))
			b.WriteString("\n")
		}
	}

	if len(r.Counters) > 0 {
		b.WriteString("\nOther counts\n")
		for _, c := range Counters {
			if n, ok := r.Counters[c.Name]; ok {
				fmt.Fprintf(&b, "  %s: %d", strings.TrimSuffix(c.Help, "."), n.Total)
				if len(n.ByKey) > 0 {
					fmt.Fprintf(&b, " (%s)", countList(n.ByKey))
				}
				b.WriteString("\n")
			}
		}
	}

	b.WriteString("\n")
	fmt.Fprintf(&b, "Crisis resources shown: %d\n", r.CrisisShown)
	if len(r.Errors) == 0 {
		b.WriteString("Errors: none\n")
	} else {
		fmt.Fprintf(&b, "Errors: %s\n", countList(r.Errors))
	}
	fmt.Fprintf(&b, "Dropped events: %d\n", r.Dropped)
	if r.Platform == "" && len(r.ByPlatform) > 0 {
		fmt.Fprintf(&b, "By platform: %s\n", countList(r.ByPlatform))
	}
	// No line ends in spaces (an empty bar), which chat clients and editors
	// would trim anyway.
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n"))
	return err
}

// clip shortens s to n characters, marking the cut.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// countList renders "a 3, b 2", largest first.
func countList(m map[string]int64) string {
	var parts []string
	for _, k := range sortedByCount(m) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// percent renders n/d as a percentage with one decimal; "0%" when d is 0.
func percent(n, d int64) string {
	if d == 0 {
		return "0%"
	}
	return strconv.FormatFloat(100*float64(n)/float64(d), 'f', 1, 64) + "%"
}

// sparkline draws one character per value: ▁ for zero, ▂ to █ for the rest,
// scaled to the largest.
func sparkline(vs []int64) string {
	levels := []rune("▂▃▄▅▆▇█")
	var top int64
	for _, v := range vs {
		top = max(top, v)
	}
	var b strings.Builder
	for _, v := range vs {
		if v <= 0 {
			b.WriteRune('▁')
			continue
		}
		i := int(math.Round(float64(v) / float64(top) * float64(len(levels)-1)))
		b.WriteRune(levels[i])
	}
	return b.String()
}

// dayAxis labels a sparkline of n days with its first and last day.
func dayAxis(first, last string, n int) string {
	if n == 1 {
		return first
	}
	if gap := n - len(first) - len(last); gap >= 1 {
		return first + strings.Repeat(" ", gap) + last
	}
	return first + " → " + last
}

// shortDate turns 2026-11-23 into 23/11.
func shortDate(date string) string {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return date
	}
	return t.Format("02/01")
}

// bar draws v scaled to top as up to barWidth full blocks, with eighths.
func bar(v, top int64) string {
	if v <= 0 || top <= 0 {
		return ""
	}
	eighths := int(math.Round(float64(v) / float64(top) * barWidth * 8))
	eighths = max(eighths, 1)
	part := []rune(" ▏▎▍▌▋▊▉")
	s := strings.Repeat("█", eighths/8)
	if r := eighths % 8; r > 0 {
		s += string(part[r])
	}
	return s
}
