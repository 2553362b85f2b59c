package telegram

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/go-telegram/bot/models"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/telegram/telegramtest"
)

func checkHTML(s string) error {
	v, err := telegramtest.ParseHTML(s)
	if err != nil {
		return fmt.Errorf("%q: %w", s, err)
	}
	if n := len(utf16.Encode([]rune(v))); n > MaxText {
		return fmt.Errorf("%d characters, over %d", n, MaxText)
	}
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("blank message %q", s)
	}
	return nil
}

func TestRenderHTML(t *testing.T) {
	cases := []struct {
		name, in string
		want     []string
	}{
		{"plain", "hello", []string{"hello"}},
		{"escaped", `a <b> & "q" 'x'`, []string{"a &lt;b&gt; &amp; &#34;q&#34; &#39;x&#39;"}},
		{"bold", "**Support groups** are free", []string{"<b>Support groups</b> are free"}},
		{"link", "see [988 <lifeline>](https://988lifeline.org/?a=1&b=2)", []string{`see <a href="https://988lifeline.org/?a=1&amp;b=2">988 &lt;lifeline&gt;</a>`}},
		{"link with quote in url", `[x](https://e.org/"onclick=)`, []string{`<a href="https://e.org/&#34;onclick=">x</a>`}},
		{"unclosed bold stays literal", "a ** b", []string{"a ** b"}},
		{"bullets", "Intro:\n- one\n- **two**", []string{"Intro:\n• one\n• <b>two</b>"}},
		{"paragraphs kept", "one\n\ntwo", []string{"one\n\ntwo"}},
		{"blank edges trimmed", "\n\n  \nhi\n\n", []string{"hi"}},
		{"empty", "", nil},
		{"invalid utf8", "a\xffb", []string{"a\uFFFDb"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := renderHTML(tc.in, MaxText)
			if !slices.Equal(got, tc.want) {
				t.Errorf("renderHTML(%q) = %q, want %q", tc.in, got, tc.want)
			}
			for _, c := range got {
				if err := checkHTML(c); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestRenderHTMLSplits(t *testing.T) {
	para := func(c string, n int) string { return strings.Repeat(c, n) }
	cases := []struct {
		name string
		in   string
		max  int
		want []string
	}{
		{"fits", "aaa\n\nbbb", 8, []string{"aaa\n\nbbb"}},
		{"at paragraph", "aaa\n\nbbb", 7, []string{"aaa", "bbb"}},
		{"paragraphs packed", "aa\n\nbb\n\ncc", 6, []string{"aa\n\nbb", "cc"}},
		{"then lines", "aaa\nbbb\nccc", 7, []string{"aaa\nbbb", "ccc"}},
		{"then words", "aaaa bbbb cccc", 10, []string{"aaaa bbbb ", "cccc"}},
		{"hard cut", para("a", 12), 5, []string{"aaaaa", "aaaaa", "aa"}},
		{"bold kept across a cut", "**" + para("b", 7) + "**", 5, []string{"<b>bbbbb</b>", "<b>bb</b>"}},
		{"link label cut keeps href", "[" + para("l", 6) + "](https://e.org)", 4, []string{`<a href="https://e.org">llll</a>`, `<a href="https://e.org">ll</a>`}},
		{"entity not cut", para("&", 5), 3, []string{"&amp;&amp;&amp;", "&amp;&amp;"}},
		{"surrogate pair not cut", "ab😀😀", 3, []string{"ab", "😀", "😀"}},
		{"bullet counted", "- abcd", 5, []string{"• abc", "d"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := renderHTML(tc.in, tc.max)
			if !slices.Equal(got, tc.want) {
				t.Errorf("renderHTML(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
			}
			for _, c := range got {
				v, err := telegramtest.ParseHTML(c)
				if err != nil {
					t.Errorf("part %q: %v", c, err)
				}
				if n := len(utf16.Encode([]rune(v))); n > tc.max {
					t.Errorf("part %q has %d characters, over %d", c, n, tc.max)
				}
			}
		})
	}
}

func TestKeyboard(t *testing.T) {
	var dropped []string
	drop := func(r string) { dropped = append(dropped, r) }
	kb := keyboard([]bot.Choice{
		{Label: "Help me choose", Data: bot.DataTriage},
		{Label: "Too long", Data: strings.Repeat("x", 65)},
		{Label: "Exactly 64", Data: strings.Repeat("y", 64)},
		{Label: "", Data: "topics"},
		{Label: "No data", Data: ""},
	}, drop, models.InlineKeyboardButton{Text: "Talk privately", URL: "https://t.me/SupportTestBot?start=group"})
	var got []string
	for _, row := range kb.InlineKeyboard {
		if len(row) != 1 {
			t.Errorf("row %v: want one button per row", row)
		}
		got = append(got, row[0].Text+"|"+row[0].CallbackData+"|"+row[0].URL)
	}
	want := []string{"Help me choose|triage|", "Exactly 64|" + strings.Repeat("y", 64) + "|", "Talk privately||https://t.me/SupportTestBot?start=group"}
	if !slices.Equal(got, want) {
		t.Errorf("keyboard = %q, want %q", got, want)
	}
	if len(dropped) != 3 {
		t.Errorf("dropped %d choices (%v), want 3", len(dropped), dropped)
	}
	if keyboard(nil, drop) != nil {
		t.Errorf("no choices should give no keyboard")
	}
}

func FuzzRenderHTML(f *testing.F) {
	for _, s := range []string{"**b** [l](https://e.org) - x\n\n<&>", "a\xff\xfe", "😀😀😀", strings.Repeat("word ", 2000)} {
		f.Add(s, 50)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 2 || max > MaxText {
			return // a surrogate pair needs 2
		}
		var visible strings.Builder
		for _, c := range renderHTML(s, max) {
			v, err := telegramtest.ParseHTML(c)
			if err != nil {
				t.Fatalf("renderHTML(%q, %d) part %q: %v", s, max, c, err)
			}
			if n := len(utf16.Encode([]rune(v))); n > max {
				t.Fatalf("renderHTML(%q, %d) part of %d characters", s, max, n)
			}
			visible.WriteString(v)
		}
		// Nothing is lost but whitespace and markup: what shows is every
		// span's text (a link's label), bullets marked.
		var want strings.Builder
		for _, l := range bot.ParseMarkup(s) {
			if l.Bullet {
				want.WriteString(bulletMark)
			}
			for _, sp := range l.Spans {
				want.WriteString(strings.ToValidUTF8(sp.Text, "\uFFFD"))
			}
		}
		strip := func(s string) string { return strings.Join(strings.Fields(s), "") }
		if a, b := strip(visible.String()), strip(want.String()); a != b {
			t.Fatalf("renderHTML(%q, %d) shows %q, want %q", s, max, a, b)
		}
	})
}
