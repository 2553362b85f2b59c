package store

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"strconv"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// The chart is drawn with the standard library's image packages and one
// embedded font (Go Regular): a plotting library would cost the binary
// megabytes for two bar charts.

// Chart size and type sizes, in pixels: readable as a chat attachment on a
// phone, where the picture is shown about half this wide.
const (
	chartWidth   = 800
	chartMargin  = 24
	dailyHeight  = 450 // the activity part, margins included
	topicsHeader = 50  // the topics' title above their rows
	topicRow     = 44  // one topic's bar and its gap
	titleSize    = 24
	labelSize    = 18
	valueSize    = 15
)

var (
	colorMessages = color.RGBA{R: 0x3b, G: 0x6e, B: 0xa5, A: 0xff}
	colorSessions = color.RGBA{R: 0x9c, G: 0xc3, B: 0xe4, A: 0xff}
	colorTopics   = color.RGBA{R: 0x5a, G: 0x9e, B: 0x6f, A: 0xff}
	colorText     = color.RGBA{R: 0x22, G: 0x22, B: 0x22, A: 0xff}
	colorMuted    = color.RGBA{R: 0x66, G: 0x66, B: 0x66, A: 0xff}
	colorAxis     = color.RGBA{R: 0x99, G: 0x99, B: 0x99, A: 0xff}
	colorGrid     = color.RGBA{R: 0xe8, G: 0xe8, B: 0xe8, A: 0xff}
)

// chartFont is Go Regular, parsed once; a parsed font is safe for concurrent
// use, its faces are not, so each chart makes its own.
var chartFont = sync.OnceValues(func() (*opentype.Font, error) { return opentype.Parse(goregular.TTF) })

// PNG draws the report's daily activity (messages and sessions per day) and its
// top topics as a PNG chart, the picture the chat adapters attach to /stats.
func (r *Report) PNG() ([]byte, error) {
	// The topics part is as tall as its rows, so a week with few topics
	// leaves no blank half picture.
	topicsTop := dailyHeight + chartMargin/2
	height := topicsTop + topicsHeader + max(len(r.topTopics(topN)), 1)*topicRow + chartMargin
	c, err := newCanvas(chartWidth, height)
	if err != nil {
		return nil, fmt.Errorf("stats chart: %w", err)
	}
	r.drawDaily(c, image.Rect(chartMargin, chartMargin, chartWidth-chartMargin, dailyHeight-chartMargin/2))
	r.drawTopics(c, image.Rect(chartMargin, topicsTop, chartWidth-chartMargin, height-chartMargin))
	var buf bytes.Buffer
	if err := png.Encode(&buf, c.img); err != nil {
		return nil, fmt.Errorf("stats chart: encode png: %w", err)
	}
	return buf.Bytes(), nil
}

// drawDaily draws messages and sessions per day, side by side, in area.
func (r *Report) drawDaily(c *canvas, area image.Rectangle) {
	title := fmt.Sprintf("Activity per day, %s – %s (UTC)", r.Since.Format("2 Jan"), r.Until.Format("2 Jan 2006"))
	var top int64
	for _, d := range r.Days {
		top = max(top, d.Messages, d.Sessions)
	}
	if top == 0 {
		title += ": no activity"
	}
	y := area.Min.Y + c.title.Metrics().Ascent.Ceil()
	c.text(c.title, title, area.Min.X, y, colorText)

	// The legend, right-aligned under the title.
	y += 14 + c.label.Metrics().Height.Ceil()
	x := area.Max.X
	for _, it := range []struct {
		name string
		col  color.Color
	}{{"sessions", colorSessions}, {"messages", colorMessages}} {
		x -= c.width(c.label, it.name)
		c.text(c.label, it.name, x, y, colorText)
		x -= 22
		c.fill(image.Rect(x, y-14, x+16, y+2), it.col)
		x -= 20
	}

	// The plot: a y axis of whole counts on the left, day names below.
	step, axisTop := ticks(top, 5)
	tickW := c.width(c.label, strconv.FormatInt(axisTop, 10))
	plot := image.Rect(area.Min.X+tickW+10, y+16, area.Max.X, area.Max.Y-c.label.Metrics().Height.Ceil()-8)
	for v := int64(0); v <= axisTop; v += step {
		py := plot.Max.Y - int(float64(v)/float64(axisTop)*float64(plot.Dy()))
		if v > 0 {
			c.fill(image.Rect(plot.Min.X, py, plot.Max.X, py+1), colorGrid)
		}
		s := strconv.FormatInt(v, 10)
		c.text(c.label, s, plot.Min.X-8-c.width(c.label, s), py+6, colorMuted)
	}
	c.fill(image.Rect(plot.Min.X, plot.Max.Y, plot.Max.X, plot.Max.Y+1), colorAxis)
	if len(r.Days) == 0 {
		return
	}

	slot := float64(plot.Dx()) / float64(len(r.Days))
	barW := int(min(max(slot*0.36, 1), 32))
	// Counts above the bars only when both fit side by side.
	withValues := slot >= 80
	labelEvery := labelStride(len(r.Days), c.width(c.label, "00/00")+16, plot.Dx())
	for i, d := range r.Days {
		mid := plot.Min.X + int(slot*(float64(i)+0.5))
		for _, b := range []struct {
			v   int64
			x0  int
			col color.Color
		}{{d.Messages, mid - barW - 1, colorMessages}, {d.Sessions, mid + 1, colorSessions}} {
			h := int(math.Round(float64(b.v) / float64(axisTop) * float64(plot.Dy())))
			c.fill(image.Rect(b.x0, plot.Max.Y-h, b.x0+barW, plot.Max.Y), b.col)
			if withValues && b.v > 0 {
				s := strconv.FormatInt(b.v, 10)
				c.text(c.value, s, b.x0+(barW-c.width(c.value, s))/2, plot.Max.Y-h-5, colorMuted)
			}
		}
		if i%labelEvery == 0 || i == len(r.Days)-1 && i%labelEvery > labelEvery/2 {
			s := shortDate(d.Date)
			c.text(c.label, s, mid-c.width(c.label, s)/2, plot.Max.Y+8+c.label.Metrics().Ascent.Ceil(), colorText)
		}
	}
}

// drawTopics draws the top topics as horizontal bars in area, the most asked
// at the top, each with its count.
func (r *Report) drawTopics(c *canvas, area image.Rectangle) {
	top := r.topTopics(topN)
	y := area.Min.Y + c.title.Metrics().Ascent.Ceil()
	if len(top) == 0 {
		c.text(c.title, "Top topics: none answered in this period", area.Min.X, y, colorText)
		return
	}
	c.text(c.title, "Top topics (answers)", area.Min.X, y, colorText)

	labelW := 0
	for _, id := range top {
		labelW = max(labelW, c.width(c.label, clip(id, 24)))
	}
	most := r.ByTopic[top[0]]
	countW := c.width(c.label, strconv.FormatInt(most, 10))
	plot := image.Rect(area.Min.X+labelW+12, area.Min.Y+topicsHeader, area.Max.X-countW-8, area.Max.Y)
	rowH := min(plot.Dy()/len(top), topicRow)
	barH := rowH * 6 / 10
	c.fill(image.Rect(plot.Min.X-1, plot.Min.Y, plot.Min.X, plot.Min.Y+rowH*len(top)), colorAxis)
	for i, id := range top {
		n := r.ByTopic[id]
		mid := plot.Min.Y + rowH*i + rowH/2
		w := max(int(math.Round(float64(n)/float64(most)*float64(plot.Dx()))), 1)
		c.fill(image.Rect(plot.Min.X, mid-barH/2, plot.Min.X+w, mid+barH/2), colorTopics)
		name := clip(id, 24)
		c.text(c.label, name, plot.Min.X-12-c.width(c.label, name), mid+6, colorText)
		c.text(c.label, strconv.FormatInt(n, 10), plot.Min.X+w+8, mid+6, colorMuted)
	}
}

// labelStride is how many days apart the day labels go so that n labels of
// width w fit in space.
func labelStride(n, w, space int) int {
	fit := max(space/w, 1)
	return (n + fit - 1) / fit
}

// ticks chooses a step of 1, 2 or 5 times a power of ten giving at most about
// n ticks from zero past top, and the axis's top: the first tick at or above
// top, with some room for the counts written above the bars.
func ticks(top int64, n int) (step, axisTop int64) {
	if top <= 0 {
		return 1, 1
	}
	want := float64(top) * 1.08 / float64(n)
	step = 1
	for p := int64(1); float64(step) < want; p *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if step = m * p; float64(step) >= want {
				break
			}
		}
	}
	return step, (int64(float64(top)*1.08) + step - 1) / step * step
}

// canvas is a white picture with the faces to write on it.
type canvas struct {
	img                 *image.RGBA
	title, label, value font.Face
}

func newCanvas(w, h int) (*canvas, error) {
	f, err := chartFont()
	if err != nil {
		return nil, fmt.Errorf("parse font: %w", err)
	}
	c := &canvas{img: image.NewRGBA(image.Rect(0, 0, w, h))}
	// A white background: chat clients in dark mode would show a transparent
	// PNG's dark text on black.
	draw.Draw(c.img, c.img.Bounds(), image.White, image.Point{}, draw.Src)
	for _, fc := range []struct {
		face *font.Face
		size float64
	}{{&c.title, titleSize}, {&c.label, labelSize}, {&c.value, valueSize}} {
		if *fc.face, err = opentype.NewFace(f, &opentype.FaceOptions{Size: fc.size, DPI: 72, Hinting: font.HintingFull}); err != nil {
			return nil, fmt.Errorf("font face: %w", err)
		}
	}
	return c, nil
}

// fill paints rectangle r in col.
func (c *canvas) fill(r image.Rectangle, col color.Color) {
	draw.Draw(c.img, r, image.NewUniform(col), image.Point{}, draw.Over)
}

// text writes s in face with its baseline starting at (x, y).
func (c *canvas) text(face font.Face, s string, x, y int, col color.Color) {
	d := font.Drawer{Dst: c.img, Src: image.NewUniform(col), Face: face, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// width is how many pixels s takes in face.
func (c *canvas) width(face font.Face, s string) int { return font.MeasureString(face, s).Ceil() }
