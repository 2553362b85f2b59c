package store

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"slices"
	"testing"
	"time"
)

// rect is one solid rectangle of a colour found in a picture.
type rect struct{ x, y, w, h int }

// rects finds the solid rectangles of exactly col in img: the bars, and the
// legend's swatches.
func rects(img image.Image, col color.Color) []rect {
	want := color.RGBAModel.Convert(col)
	is := func(x, y int) bool {
		return image.Pt(x, y).In(img.Bounds()) && color.RGBAModel.Convert(img.At(x, y)) == want
	}
	var out []rect
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if !is(x, y) || is(x-1, y) || is(x, y-1) {
				continue // not a top-left corner
			}
			r := rect{x: x, y: y}
			for is(x+r.w, y) {
				r.w++
			}
			for is(x, y+r.h) {
				r.h++
			}
			out = append(out, r)
		}
	}
	return out
}

// TestPNGBars reads the bars back from the chart: one per day with messages,
// tall in proportion to the count, and one per topic, the most asked at the
// top, long in proportion to the count.
func TestPNGBars(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	r := newReport(Filter{Since: now.Add(-7 * 24 * time.Hour), Until: now})
	msgs := []int64{0, 9, 16, 24, 7, 35, 44, 23}
	if len(r.Days) != len(msgs) {
		t.Fatalf("report has %d days, want %d", len(r.Days), len(msgs))
	}
	for i := range r.Days {
		r.Days[i].Messages, r.Days[i].Sessions = msgs[i], msgs[i]/3
	}
	r.ByTopic = map[string]int64{"cost": 10, "difference": 40, "leadership": 20}
	data, err := r.PNG()
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("PNG() is not a PNG: %v", err)
	}

	// Day bars stand on one baseline; the legend's swatch does not.
	all := rects(img, colorMessages)
	bottoms := map[int]int{}
	for _, b := range all {
		bottoms[b.y+b.h]++
	}
	var base, most int
	for y, n := range bottoms {
		if n > most {
			base, most = y, n
		}
	}
	slices.SortFunc(all, func(a, b rect) int { return a.x - b.x })
	var heights []int
	for _, b := range all {
		if b.y+b.h == base {
			heights = append(heights, b.h)
		}
	}
	checkProportional(t, "message bars' heights", heights, []int64{9, 16, 24, 7, 35, 44, 23})

	topics := rects(img, colorTopics)
	slices.SortFunc(topics, func(a, b rect) int { return a.y - b.y })
	var widths []int
	for _, b := range topics {
		widths = append(widths, b.w)
	}
	checkProportional(t, "topic bars' lengths from the top", widths, []int64{40, 20, 10})

	empty, err := EmptyReport(Filter{Since: now.Add(-7 * 24 * time.Hour), Until: now}).PNG()
	if err != nil {
		t.Fatal(err)
	}
	img, err = png.Decode(bytes.NewReader(empty))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(rects(img, colorMessages)) + len(rects(img, colorSessions)); got != 2 {
		t.Errorf("chart of no activity: %d rectangles in the bars' colours, want the 2 legend swatches", got)
	}
	if got := rects(img, colorTopics); len(got) != 0 {
		t.Errorf("chart of no topics: topic bars %v, want none", got)
	}
}

// checkProportional checks that got (pixels) has one entry per count in want,
// each in proportion to its count within rounding.
func checkProportional(t *testing.T, what string, got []int, want []int64) {
	t.Helper()
	if len(got) != len(want) || len(got) == 0 {
		t.Errorf("%s: got %v, want %d bars for %v", what, got, len(want), want)
		return
	}
	scale := float64(got[slices.Index(want, slices.Max(want))]) / float64(slices.Max(want))
	for i, n := range want {
		if d := math.Abs(float64(got[i]) - scale*float64(n)); d > 1.5 {
			t.Errorf("%s: got %v, want in proportion to %v", what, got, want)
			return
		}
	}
}
