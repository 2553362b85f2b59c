package store

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Chart size: readable as a chat attachment on a phone.
const (
	chartWidth  = 8 * vg.Inch
	chartHeight = 9 * vg.Inch
	chartDPI    = 96
)

var (
	colorMessages = color.RGBA{R: 0x3b, G: 0x6e, B: 0xa5, A: 0xff}
	colorSessions = color.RGBA{R: 0x9c, G: 0xc3, B: 0xe4, A: 0xff}
	colorTopics   = color.RGBA{R: 0x5a, G: 0x9e, B: 0x6f, A: 0xff}
)

// PNG draws the report's daily activity (messages and sessions per day) and its
// top topics as a PNG chart, the picture the chat adapters attach to /stats.
func (r *Report) PNG() ([]byte, error) {
	daily, err := r.dailyPlot()
	if err != nil {
		return nil, fmt.Errorf("stats chart: %w", err)
	}
	topics, err := r.topicsPlot()
	if err != nil {
		return nil, fmt.Errorf("stats chart: %w", err)
	}
	img := vgimg.NewWith(vgimg.UseWH(chartWidth, chartHeight), vgimg.UseDPI(chartDPI))
	dc := draw.New(img)
	// A white background: chat clients in dark mode would show a transparent
	// PNG's black text on black.
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadTop: vg.Points(10), PadBottom: vg.Points(10),
		PadLeft: vg.Points(10), PadRight: vg.Points(20), PadY: vg.Points(30)}
	canvases := plot.Align([][]*plot.Plot{{daily}, {topics}}, tiles, dc)
	daily.Draw(canvases[0][0])
	topics.Draw(canvases[1][0])
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("stats chart: encode png: %w", err)
	}
	return buf.Bytes(), nil
}

// dailyPlot is messages and sessions per day, side by side.
func (r *Report) dailyPlot() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Activity per day, %s – %s (UTC)", r.Since.Format("2 Jan"), r.Until.Format("2 Jan 2006"))
	p.Y.Label.Text = "count"
	p.Y.Min = 0
	if len(r.Days) == 0 {
		return p, nil
	}
	msgs := make(plotter.Values, len(r.Days))
	sess := make(plotter.Values, len(r.Days))
	names := make([]string, len(r.Days))
	top := 0.0
	for i, d := range r.Days {
		msgs[i], sess[i] = float64(d.Messages), float64(d.Sessions)
		names[i] = shortDate(d.Date)
		top = max(top, msgs[i], sess[i])
	}
	if top == 0 {
		p.Title.Text += ": no activity"
		top = 1
	}
	p.Y.Max = top * 1.25 // room for the legend
	p.Y.Tick.Marker = wholeTicks{}
	// Bars share each day's slot: two bars, each under half of it.
	w := vg.Length(float64(chartWidth) * 0.7 / float64(len(r.Days)) / 2.2)
	w = min(max(w, vg.Points(2)), vg.Points(24))
	mb, err := plotter.NewBarChart(msgs, w)
	if err != nil {
		return nil, err
	}
	mb.Color, mb.LineStyle.Width, mb.Offset = colorMessages, 0, -w/2
	sb, err := plotter.NewBarChart(sess, w)
	if err != nil {
		return nil, err
	}
	sb.Color, sb.LineStyle.Width, sb.Offset = colorSessions, 0, w/2
	p.Add(mb, sb)
	p.Legend.Add("messages", mb)
	p.Legend.Add("sessions", sb)
	p.Legend.Top = true
	p.NominalX(thinLabels(names, 14)...)
	return p, nil
}

// topicsPlot is the top topics as horizontal bars, the most asked at the top.
func (r *Report) topicsPlot() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Top topics (answers)"
	p.X.Label.Text = "answers"
	p.X.Min = 0
	top := r.topTopics(topN)
	if len(top) == 0 {
		p.Title.Text = "Top topics: none answered in this period"
		p.HideAxes()
		p.X.Label.Text = ""
		return p, nil
	}
	slices.Reverse(top) // the plot's Y axis grows upwards
	vals := make(plotter.Values, len(top))
	for i, id := range top {
		vals[i] = float64(r.ByTopic[id])
	}
	b, err := plotter.NewBarChart(vals, vg.Points(min(24, 300/float64(len(top)))))
	if err != nil {
		return nil, err
	}
	b.Horizontal = true
	b.Color, b.LineStyle.Width = colorTopics, 0
	p.Add(b)
	p.X.Max = float64(r.ByTopic[top[len(top)-1]]) * 1.1
	p.X.Tick.Marker = wholeTicks{}
	p.NominalY(top...)
	return p, nil
}

// thinLabels blanks labels so that at most n are shown, evenly spaced.
func thinLabels(names []string, n int) []string {
	if len(names) <= n {
		return names
	}
	step := (len(names) + n - 1) / n
	out := make([]string, len(names))
	for i := range names {
		if i%step == 0 || i == len(names)-1 {
			out[i] = names[i]
		}
	}
	return out
}

// wholeTicks labels an axis of counts with whole numbers only.
type wholeTicks struct{}

// Ticks implements plot.Ticker.
func (wholeTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for _, t := range (plot.DefaultTicks{}).Ticks(lo, hi) {
		if t.Value != math.Trunc(t.Value) {
			continue
		}
		if t.Label != "" {
			t.Label = strconv.FormatFloat(t.Value, 'f', 0, 64)
		}
		out = append(out, t)
	}
	return out
}
