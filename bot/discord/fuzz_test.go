package discord

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/bottest"
	"github.com/supportbot/supportbot/bot/internal/textsplit"
)

var (
	fuzzCoreOnce sync.Once
	fuzzCore     *bot.Bot
)

// core returns the real core over the embedded knowledge base, built once.
func core(t testing.TB) (*bot.Bot, bot.Knowledge) {
	fuzzCoreOnce.Do(func() { fuzzCore = bottest.New(t) })
	return fuzzCore, bottest.Knowledge(t)
}

// checkParts fails if a rendered reply breaks one of Discord's limits.
func checkParts(t *testing.T, parts []part) {
	t.Helper()
	if len(parts) == 0 {
		t.Fatal("no part")
	}
	for _, p := range parts {
		if n := textsplit.Len(p.Content); n > maxContent {
			t.Errorf("content of %d characters", n)
		}
		if !utf8.ValidString(p.Content) {
			t.Errorf("content is not UTF-8")
		}
		if len(p.Components) > maxRows {
			t.Errorf("%d rows", len(p.Components))
		}
		ids := map[string]bool{}
		for _, row := range p.Components {
			bs := row.(discordgo.ActionsRow).Components
			if len(bs) == 0 || len(bs) > maxRowButtons {
				t.Errorf("a row of %d buttons", len(bs))
			}
			for _, c := range bs {
				b := c.(discordgo.Button)
				if n := textsplit.Len(b.Label); n < 1 || n > bot.MaxLabelLen {
					t.Errorf("label of %d characters", n)
				}
				if n := len(b.CustomID); n < 1 || n > maxCustomIDLen || ids[b.CustomID] {
					t.Errorf("custom_id of %d bytes, or a duplicate", n)
				}
				ids[b.CustomID] = true
			}
		}
	}
}

// FuzzCustomID presses a button with arbitrary custom_id, as a forged or stale
// interaction would, through the same decoding, translation, core and
// rendering as the adapter: nothing may panic, the reply must fit Discord's
// limits, and data the bot did not make is never echoed.
func FuzzCustomID(f *testing.F) {
	for _, s := range []string{"", "topics", "triage", "topic:leadership", "topic:nope", "triage:1:2", "\x00", "<@&1>@everyone", strings.Repeat("x", 100), "\xff\xfe", "**bold**", "[x](https://e.org)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, customID string) {
		b, k := core(t)
		raw, err := json.Marshal(map[string]any{
			"id": "1", "type": 3, "token": "t", "guild_id": "7", "channel_id": "9",
			"member": map[string]any{"user": map[string]any{"id": "42"}, "permissions": "0"},
			"data":   map[string]any{"custom_id": customID, "component_type": 2},
		})
		if err != nil {
			t.Skip()
		}
		var i discordgo.Interaction
		if err := json.Unmarshal(raw, &i); err != nil {
			return // not an interaction discordgo would deliver
		}
		req := decodeInteraction(&i)
		if req.kind != reqCore || !req.component || req.msg.Data == "" {
			t.Fatalf("a button press became %+v", req)
		}
		r := b.Handle(context.Background(), req.msg)
		parts := render(r)
		checkParts(t, parts)
		expired := k.Messages["expired"]
		if r.Kind == bot.KindFallback && len(customID) >= 8 && !strings.Contains(expired, customID) && !strings.Contains(bot.Plain(expired), customID) {
			for _, p := range parts {
				if strings.Contains(p.Content, customID) {
					t.Errorf("the reply echoes the forged custom_id %q", customID)
				}
			}
		}
	})
}

// FuzzInteractionPayload feeds arbitrary gateway payloads to the translation:
// whatever discordgo decodes must translate without a panic, and a reply to it
// must render within Discord's limits.
func FuzzInteractionPayload(f *testing.F) {
	f.Add([]byte(`{"id":"1","type":2,"guild_id":"7","channel_id":"9","member":{"user":{"id":"42"},"permissions":"32"},"data":{"name":"ask","type":1,"options":[{"name":"question","type":3,"value":"who runs it?"}]}}`))
	f.Add([]byte(`{"id":"1","type":2,"channel_id":"9","user":{"id":"42"},"data":{"name":"stats","type":1}}`))
	f.Add([]byte(`{"id":"1","type":3,"channel_id":"9","data":{"custom_id":"topics","component_type":2}}`))
	f.Add([]byte(`{"id":"1","type":2,"data":{"name":"ask","options":[{"name":"question","type":3,"value":42}]}}`))
	f.Add([]byte(`{"type":5,"data":{"custom_id":"x","components":[]}}`))
	f.Add([]byte(`{"id":"1","type":2,"data":{"name":"ask","options":[null]}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, _ := core(t)
		var i discordgo.Interaction
		if err := json.Unmarshal(raw, &i); err != nil {
			return
		}
		req := decodeInteraction(&i)
		if req.kind != reqCore {
			return
		}
		if req.msg.Platform != Platform || req.msg.Community == "" {
			t.Fatalf("message without platform or community: %+v", req.msg)
		}
		checkParts(t, render(b.Handle(context.Background(), req.msg)))
	})
}

// FuzzRenderText renders arbitrary reply text: the chunks fit, and no
// non-space character is lost in the split.
func FuzzRenderText(f *testing.F) {
	f.Add("plain", 2000)
	f.Add(strings.Repeat("**bold** [l](https://e.org) @everyone <@1>\n", 100), 2000)
	f.Add(strings.Repeat("😀", 1500), 2000)
	f.Add("a\n\n\nb", 3)
	f.Fuzz(func(t *testing.T, text string, max int) {
		if max < 2 || max > 4000 || !utf8.ValidString(text) {
			return
		}
		md := markdown(text)
		chunks := splitContent(md, max)
		got := 0
		for _, c := range chunks {
			if n := textsplit.Len(c); n > max {
				t.Fatalf("chunk of %d characters, max %d", n, max)
			}
			got += len(strings.Join(strings.Fields(c), ""))
		}
		if want := len(strings.Join(strings.Fields(md), "")); got != want {
			t.Fatalf("split kept %d non-space bytes of %d", got, want)
		}
	})
}
