package discord_test

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/discord"
	"github.com/supportbot/supportbot/bot/discord/discordtest"
)

// These tests run the real adapter (and the real discordgo under it) against
// the fake Discord on 127.0.0.1, with the real core over the embedded
// knowledge base. Each harness checks at the end that no Discord rule was
// broken and that no id, token or question reached the log. None calls
// t.Parallel: discordgo's logger is a package variable.

var escaped = regexp.MustCompile(`\\([[:punct:]])`)

// unescape undoes the adapter's markdown escaping, to compare with plain text.
func unescape(s string) string {
	return strings.ReplaceAll(escaped.ReplaceAllString(s, "$1"), "\u200b", "")
}

func customIDs(m discordtest.Message) []string {
	var ids []string
	for _, b := range m.Buttons() {
		ids = append(ids, b.CustomID)
	}
	return ids
}

func TestCommandsRegistered(t *testing.T) {
	t.Run("in the guild, replacing stale ones", func(t *testing.T) {
		h := newHarness(t)
		cmds := h.fake.Commands(guildID)
		names := map[string]discordtest.Command{}
		for _, c := range cmds {
			names[c.Name] = c
		}
		for _, n := range []string{"ask", "triage", "topics", "about", "stats"} {
			if _, ok := names[n]; !ok {
				t.Errorf("command /%s not registered; got %+v", n, cmds)
			}
		}
		if len(cmds) != 5 {
			t.Errorf("got %d commands, want 5", len(cmds))
		}
		if p := names["stats"].DefaultMemberPermissions; p == nil || *p != "32" {
			t.Errorf("/stats default_member_permissions = %v, want \"32\" (Manage Server)", p)
		}
		if len(h.fake.Commands("")) != 0 {
			t.Errorf("global commands registered although a guild is configured")
		}
		// A restart with an old command left over: the bulk overwrite removes it.
		h.stop()
		h.fake.SetCommands(guildID, append(cmds, discordtest.Command{Name: "oldask", Description: "gone"}))
		h.start()
		if got := h.fake.Commands(guildID); len(got) != 5 {
			t.Errorf("after restart %d commands, want the 5 current ones: %+v", len(got), got)
		}
	})
	t.Run("globally without a guild", func(t *testing.T) {
		h := newHarness(t, withGuild(""))
		if n := len(h.fake.Commands("")); n != 5 {
			t.Errorf("got %d global commands, want 5", n)
		}
	})
}

func TestIntentsWithoutMessageContent(t *testing.T) {
	h := newHarness(t)
	const dms, guildMsgs, content = 1 << 12, 1 << 9, 1 << 15
	got := h.fake.Intents()
	if got&dms == 0 || got&content != 0 || got&^(dms|guildMsgs) != 0 {
		t.Errorf("intents %b: want direct messages (+ guild messages), never message content", got)
	}
	if !h.adapter.Connected() {
		t.Errorf("Connected() = false while the gateway is up")
	}
}

func TestAskIsEphemeral(t *testing.T) {
	h := newHarness(t)
	q := h.secret("who actually runs a support group?")
	_, c := h.command(inGuild, "ask", map[string]string{"question": q})
	if c.Route != discordtest.RouteCallback || c.Type != discordtest.CallbackMessage {
		t.Fatalf("got %s type %d, want an immediate message (type 4)", c.Route, c.Type)
	}
	if c.Message.Flags&discordtest.FlagEphemeral == 0 {
		t.Errorf("flags %d: the answer to /ask in a guild must be ephemeral", c.Message.Flags)
	}
	ev := h.rec.Wait(t, "for the question", func(e bot.Event) bool { return e.Kind != "" })
	if ev.Platform != "discord" || ev.Community != guildID {
		t.Errorf("event platform %q community %q, want discord and the guild", ev.Platform, ev.Community)
	}
	if ev.Kind != bot.KindAnswer {
		t.Fatalf("kind %q, want an answer (topic %q)", ev.Kind, ev.Topic)
	}
	topic := findTopic(h.know, ev.Topic)
	first := strings.Fields(bot.Plain(topic.Answer))[:4]
	if got := unescape(c.Message.Content); !strings.Contains(got, strings.Join(first, " ")) {
		t.Errorf("content %q does not show topic %s's answer (%q...)", got, ev.Topic, first)
	}
}

func findTopic(k bot.Knowledge, id string) bot.Topic {
	for _, t := range k.Topics {
		if t.ID == id {
			return t
		}
	}
	return bot.Topic{}
}

func TestCrisisViaAskIsEphemeralWithResources(t *testing.T) {
	h := newHarness(t)
	q := h.secret("i want to kill myself tonight")
	_, c := h.command(inGuild, "ask", map[string]string{"question": q})
	if c.Type != discordtest.CallbackMessage || c.Message.Flags&discordtest.FlagEphemeral == 0 {
		t.Errorf("crisis reply: type %d flags %d, want an ephemeral message", c.Type, c.Message.Flags)
	}
	h.rec.Wait(t, "of kind crisis", func(e bot.Event) bool { return e.Kind == bot.KindCrisis })
	text := unescape(strings.Join(allContent(h, c.Token), "\n"))
	for _, r := range h.know.Crisis.Resources {
		if !strings.Contains(text, r.Name) || !strings.Contains(text, r.Contact) {
			t.Errorf("crisis reply lacks %q / %q:\n%s", r.Name, r.Contact, text)
		}
	}
}

// allContent returns the content of every message sent for an interaction so
// far (the answer and its followups).
func allContent(h *harness, token string) []string {
	var out []string
	for _, c := range filter(h.fake.Calls(), discordtest.ForInteraction(token)) {
		out = append(out, c.Message.Content)
	}
	return out
}

func TestEveryoneIsNeverPinged(t *testing.T) {
	h := newHarness(t)
	q := h.secret("@everyone <@&123456> what does group therapy cost?")
	_, c := h.command(inGuild, "ask", map[string]string{"question": q})
	// The fake rejects (as a violation) any message without allowed_mentions
	// {"parse":[]}; check it here too, on the wire.
	am := c.Message.AllowedMentions
	if am == nil || am.Parse == nil || len(*am.Parse) != 0 {
		t.Errorf("allowed_mentions = %+v, want {\"parse\":[]}", am)
	}
	if strings.Contains(c.Message.Content, "@everyone") || strings.Contains(c.Message.Content, "<@&") {
		t.Errorf("content echoes a mention: %q", c.Message.Content)
	}
	// The same in a DM and for a mention in a channel.
	h.fake.SendMessage(inDM, q, false)
	dm := h.wait(1, discordtest.ForChannel(dmChannel))[0]
	h.fake.SendMessage(inGuild, "<@"+h.fake.BotUserID+"> "+q, true)
	pub := h.wait(1, discordtest.ForChannel(channelID))[0]
	for _, m := range []discordtest.Message{dm.Message, pub.Message} {
		if am := m.AllowedMentions; am == nil || am.Parse == nil || len(*am.Parse) != 0 || am.RepliedUser {
			t.Errorf("allowed_mentions = %+v, want nothing allowed", am)
		}
	}
}

// triageStep presses buttons through the triage until it ends, restarting the
// adapter after the first press. It returns the callbacks.
func TestTriageByButtonsWithRestart(t *testing.T) {
	h := newHarness(t)
	_, c := h.command(inGuild, "triage", nil)
	if c.Message.Flags&discordtest.FlagEphemeral == 0 {
		t.Errorf("/triage reply not ephemeral")
	}
	h.rec.Wait(t, "starting the triage", func(e bot.Event) bool { return e.TriageStarted })
	msg := c.Message
	updates := 0
	for step := 0; ; step++ {
		if step == 12 {
			t.Fatalf("triage did not end after %d presses", step)
		}
		id := forward(msg)
		if id == "" {
			t.Fatalf("step %d: no answer button to press in %q", step, msg.Content)
		}
		if step == 1 {
			// Restart the adapter mid-triage: the buttons already shown keep
			// working with the new process (the core holds the state).
			h.stop()
			h.start()
		}
		_, c = h.press(inGuild, id)
		if c.Route != discordtest.RouteCallback {
			t.Fatalf("step %d: got %s, want the interaction answered", step, c.Route)
		}
		switch c.Type {
		case discordtest.CallbackUpdate:
			updates++
		case discordtest.CallbackMessage:
			if c.Message.Flags&discordtest.FlagEphemeral == 0 {
				t.Errorf("step %d: button reply in a guild not ephemeral", step)
			}
		default:
			t.Fatalf("step %d: callback type %d", step, c.Type)
		}
		msg = c.Message
		if outcome(h.rec.Events()) != "" {
			break
		}
	}
	if updates == 0 {
		t.Errorf("no triage step updated its message in place (type 7)")
	}
	if h.fake.Identifies() != 2 {
		t.Errorf("%d sessions identified, want 2 (one per adapter)", h.fake.Identifies())
	}
	for _, e := range h.rec.Events() {
		if e.Err == bot.ErrorKindForgedPayload {
			t.Errorf("a genuine button was counted as forged")
		}
	}
}

// forward picks the button that moves the triage on without ending it at
// once: not "back", not "start again", not the urgent-help answer.
func forward(m discordtest.Message) string {
	for _, b := range m.Buttons() {
		l := strings.ToLower(b.Label)
		if !strings.Contains(l, "back") && !strings.Contains(l, "again") && !strings.HasPrefix(l, "yes, or") {
			return b.CustomID
		}
	}
	return ""
}

func outcome(evs []bot.Event) string {
	for _, e := range evs {
		if e.TriageOutcome != "" {
			return e.TriageOutcome
		}
	}
	return ""
}

func TestDMConversation(t *testing.T) {
	h := newHarness(t)
	h.fake.SendMessage(inDM, h.secret("hello"), false)
	first := h.wait(1, discordtest.ForChannel(dmChannel))[0]
	if first.Message.Content == "" {
		t.Fatalf("empty reply to a DM")
	}
	ids := customIDs(first.Message)
	if len(ids) == 0 {
		t.Fatalf("greeting without buttons: %q", first.Message.Content)
	}
	// Press one of its buttons in the DM: answered, not ephemeral, counted as dm.
	_, c := h.press(inDM, ids[len(ids)-1])
	if c.Route != discordtest.RouteCallback {
		t.Fatalf("got %s, want the press answered", c.Route)
	}
	h.fake.SendMessage(inDM, h.secret("how much does group therapy cost?"), false)
	h.wait(2, discordtest.ForChannel(dmChannel))
	for _, e := range h.rec.Events() {
		if e.Kind != "" && e.Community != bot.CommunityDM {
			t.Errorf("a DM counted under community %q, want %q", e.Community, bot.CommunityDM)
		}
	}
}

func TestMentionInChannel(t *testing.T) {
	h := newHarness(t)
	mention := "<@" + h.fake.BotUserID + "> "
	// A guild message not for us arrives empty and is ignored.
	h.fake.SendMessage(inGuild, "just chatting", false)
	q := h.secret("how do I find a group therapy near me")
	msgID, _ := h.fake.SendMessage(inGuild, mention+q, true)
	c := h.wait(1, discordtest.ForChannel(channelID))[0]
	if c.Message.Reference == nil || c.Message.Reference.MessageID != msgID {
		t.Errorf("the pointer is not a reply to the mention")
	}
	if !strings.Contains(c.Message.Content, "/ask") {
		t.Errorf("pointer %q does not name /ask", c.Message.Content)
	}
	if len(c.Message.Components) != 0 || c.Message.Flags != 0 {
		t.Errorf("public pointer with buttons or flags: %+v", c.Message)
	}
	// The answer itself is never given in public.
	for _, tp := range h.know.Topics {
		if strings.Contains(unescape(c.Message.Content), strings.Join(strings.Fields(bot.Plain(tp.Answer))[:5], " ")) {
			t.Errorf("the public reply shows topic %s", tp.ID)
		}
	}
	t.Run("crisis in public gets the resources", func(t *testing.T) {
		h.fake.SendMessage(inGuild, mention+h.secret("i want to end my life"), true)
		c := h.wait(2, discordtest.ForChannel(channelID))[1]
		text := unescape(c.Message.Content)
		for _, r := range h.know.Crisis.Resources {
			if !strings.Contains(text, r.Name) {
				t.Errorf("public crisis reply lacks %q:\n%s", r.Name, text)
			}
		}
	})
	if n := len(filter(h.fake.Calls(), discordtest.ForChannel(channelID))); n != 2 {
		t.Errorf("%d channel messages, want 2 (the plain guild message gets none)", n)
	}
}

func TestStats(t *testing.T) {
	h := newHarness(t, withStore())
	h.command(inGuild, "ask", map[string]string{"question": h.secret("what is a support group")})

	t.Run("without Manage Server", func(t *testing.T) {
		in, c := h.command(inGuild, "stats", nil)
		if c.Type != discordtest.CallbackMessage || c.Message.Flags&discordtest.FlagEphemeral == 0 {
			t.Errorf("refusal: type %d flags %d, want an ephemeral message", c.Type, c.Message.Flags)
		}
		if !strings.Contains(c.Message.Content, "Manage Server") {
			t.Errorf("refusal %q does not say why", c.Message.Content)
		}
		if n := len(allContent(h, in.Token)); n != 1 || len(c.Message.Files) != 0 {
			t.Errorf("refusal sent %d messages and %d files; want the refusal only", n, len(c.Message.Files))
		}
	})
	t.Run("with Manage Server", func(t *testing.T) {
		in, c := h.command(asManager, "stats", nil)
		if c.Type != discordtest.CallbackDeferred || c.Message.Flags&discordtest.FlagEphemeral == 0 {
			t.Errorf("first answer: type %d flags %d, want an ephemeral deferral (type 5)", c.Type, c.Message.Flags)
		}
		f := h.wait(2, discordtest.ForInteraction(in.Token))[1]
		if f.Route != discordtest.RouteFollowup {
			t.Fatalf("got %s, want the report as a followup", f.Route)
		}
		if len(f.Message.Files) != 1 || !bytes.HasPrefix(f.Message.Files[0].Data, []byte("\x89PNG")) {
			t.Errorf("followup files %+v, want one PNG chart", f.Message.Files)
		}
		if !strings.HasPrefix(f.Message.Content, "```") {
			t.Errorf("report %q not in a code block", f.Message.Content)
		}
	})
	t.Run("in a DM never", func(t *testing.T) {
		_, c := h.command(discordtest.Who{ChannelID: dmChannel, UserID: otherUser, Permissions: 1 << 5}, "stats", nil)
		if !strings.Contains(c.Message.Content, "Manage Server") {
			t.Errorf("/stats in a DM answered %q", c.Message.Content)
		}
	})
}

func TestForgedCustomID(t *testing.T) {
	h := newHarness(t)
	for _, forged := range []string{"topic:no-such-topic", "triage:999:zz", "<@&1>@everyone**x**", strings.Repeat("A", 100)} {
		t.Run(forged[:min(len(forged), 20)], func(t *testing.T) {
			_, c := h.press(inGuild, forged)
			if c.Type != discordtest.CallbackMessage {
				t.Errorf("type %d, want a new (ephemeral) message", c.Type)
			}
			if !strings.Contains(unescape(c.Message.Content), strings.TrimSpace(strings.Split(h.know.Messages["expired"], "\n")[0])) {
				t.Errorf("reply %q is not the core's expired message", c.Message.Content)
			}
			if strings.Contains(unescape(c.Message.Content), forged) {
				t.Errorf("reply echoes the forged data")
			}
		})
	}
	h.rec.Wait(t, "counting the forged payload", isErr(bot.ErrorKindForgedPayload))
}

func TestRateLimitedFollowup(t *testing.T) {
	h := newHarness(t, withStore())
	h.fake.FailNext(discordtest.RouteFollowup, discordtest.Failure{Status: 429, RetryAfter: 0.05})
	in, _ := h.command(asManager, "stats", nil)
	f := h.wait(2, discordtest.ForInteraction(in.Token))[1]
	if f.Route != discordtest.RouteFollowup || len(f.Message.Files) != 1 {
		t.Errorf("got %s with %d files, want the followup with its chart", f.Route, len(f.Message.Files))
	}
	if n := h.fake.Attempts(discordtest.RouteFollowup); n != 2 {
		t.Errorf("%d followup attempts, want 2 (the 429, then the retry)", n)
	}
	for _, e := range h.rec.Events() {
		if e.Err == bot.ErrorKindPlatformAPI {
			t.Errorf("a retried 429 was counted as a platform failure")
		}
	}
}

func TestServerErrorIsRetried(t *testing.T) {
	h := newHarness(t)
	h.fake.FailNext(discordtest.RouteCallback, discordtest.Failure{Status: 500})
	if _, err := h.fake.Command(inGuild, "ask", map[string]string{"question": h.secret("what is group therapy")}); err != nil {
		t.Fatal(err)
	}
	h.wait(1, func(c discordtest.Call) bool { return c.Route == discordtest.RouteCallback })
	if n := h.fake.Attempts(discordtest.RouteCallback); n != 2 {
		t.Errorf("%d callback attempts, want 2 (the 500, then the retry)", n)
	}
	for _, e := range h.rec.Events() {
		if e.Err == bot.ErrorKindPlatformAPI {
			t.Errorf("a 500 that a retry got past was counted as a platform failure")
		}
	}
}

func TestAPIFailureIsCounted(t *testing.T) {
	h := newHarness(t)
	// Failing every try: the adapter gives up, logs and counts.
	for range 3 {
		h.fake.FailNext(discordtest.RouteCallback, discordtest.Failure{Status: 500})
	}
	in, err := h.fake.Command(inGuild, "ask", map[string]string{"question": h.secret("what is group therapy")})
	if err != nil {
		t.Fatal(err)
	}
	ev := h.rec.Wait(t, "of a platform failure", isErr(bot.ErrorKindPlatformAPI))
	if ev.Platform != "discord" || ev.Community != guildID {
		t.Errorf("failure counted as %q/%q", ev.Platform, ev.Community)
	}
	h.mayFail[in.Token] = true // Discord failed it; the person sees "This interaction failed"
	if !strings.Contains(h.logs.String(), "discord api call failed") {
		t.Errorf("no log line for the failure")
	}
}

func TestGatewayResumeMidConversation(t *testing.T) {
	h := newHarness(t)
	h.fake.SendMessage(inDM, h.secret("hi"), false)
	h.wait(1, discordtest.ForChannel(dmChannel))

	h.fake.Disconnect()
	// Sent while the bot is away: replayed on RESUME and answered.
	q := h.secret("what does a support group cost")
	if _, err := h.fake.SendMessage(inDM, q, false); err != nil {
		t.Fatal(err)
	}
	in, err := h.fake.Command(inGuild, "ask", map[string]string{"question": q})
	if err != nil {
		t.Fatal(err)
	}
	h.wait(2, discordtest.ForChannel(dmChannel))
	h.wait(1, discordtest.ForInteraction(in.Token))
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	if err := h.fake.WaitConnected(ctx, 1, 1); err != nil {
		t.Fatal(err)
	}
	if h.fake.Identifies() != 1 {
		t.Errorf("%d identifies: the session should have been resumed, not restarted", h.fake.Identifies())
	}
	// The conversation goes on after the resume.
	h.fake.SendMessage(inDM, h.secret("thanks"), false)
	h.wait(3, discordtest.ForChannel(dmChannel))
}

func TestDisconnectWhileAnswering(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1) // one signal; the handler never blocks on it
	var core discord.Handler
	h := newHarness(t, withHandler(handlerFunc(func(ctx context.Context, m bot.Message) bot.Reply {
		entered <- struct{}{}
		<-release
		return core.Handle(ctx, m)
	})))
	core = h.core
	in, err := h.fake.Command(inGuild, "ask", map[string]string{"question": h.secret("is group therapy confidential")})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-entered:
	case <-t.Context().Done():
		t.Fatal("handler never called")
	}
	h.fake.Disconnect() // the gateway drops while the answer is being made
	close(release)
	// Answered directly, or deferred and followed up: either way, the answer
	// arrives.
	answer := h.wait(1, discordtest.ForInteraction(in.Token))[0]
	if answer.Type == discordtest.CallbackDeferred {
		answer = h.wait(2, discordtest.ForInteraction(in.Token))[1]
	}
	if answer.Message.Content == "" {
		t.Errorf("the in-flight answer was lost")
	}
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	if err := h.fake.WaitConnected(ctx, 1, 1); err != nil {
		t.Fatalf("no resume: %v", err)
	}
}

func TestReconnectRequestResumes(t *testing.T) {
	h := newHarness(t)
	if err := h.fake.RequestReconnect(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	if err := h.fake.WaitConnected(ctx, 1, 1); err != nil {
		t.Fatalf("no resume after op 7: %v", err)
	}
	_, c := h.command(inGuild, "about", nil)
	if c.Type != discordtest.CallbackMessage || c.Message.Content == "" {
		t.Errorf("/about after the resume: type %d %q", c.Type, c.Message.Content)
	}
}

func TestInvalidSessionIdentifiesAgain(t *testing.T) {
	h := newHarness(t)
	h.fake.InvalidateSession()
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	if err := h.fake.WaitConnected(ctx, 2, 0); err != nil {
		t.Fatalf("no new session after the old one was invalidated: %v", err)
	}
	_, c := h.command(inGuild, "topics", nil)
	if c.Type != discordtest.CallbackMessage || len(c.Message.Buttons()) == 0 {
		t.Errorf("/topics after a new session: type %d, %d buttons", c.Type, len(c.Message.Buttons()))
	}
}

func TestSlowCoreIsDeferred(t *testing.T) {
	release := make(chan struct{})
	var core discord.Handler
	// The core is held up on everything but the start of the triage, until
	// the test has seen the deferral (no clock involved).
	slow := handlerFunc(func(ctx context.Context, m bot.Message) bot.Reply {
		if m.Data != bot.DataTriage {
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		return core.Handle(ctx, m)
	})
	h := newHarness(t, withHandler(slow))
	core = h.core

	_, tr := h.command(inGuild, "triage", nil)
	if tr.Type != discordtest.CallbackMessage {
		t.Fatalf("/triage: type %d, want an immediate message", tr.Type)
	}
	in, c := h.command(inGuild, "ask", map[string]string{"question": h.secret("who leads group therapy")})
	if c.Type != discordtest.CallbackDeferred || c.Message.Flags&discordtest.FlagEphemeral == 0 {
		t.Fatalf("type %d flags %d: a slow answer must be deferred ephemerally first", c.Type, c.Message.Flags)
	}
	pin, pc := h.press(inGuild, forward(tr.Message))
	if pc.Type != discordtest.CallbackDeferredUpdate {
		t.Fatalf("slow button press: type %d, want a deferred update (type 6)", pc.Type)
	}
	close(release)
	f := h.wait(2, discordtest.ForInteraction(in.Token))[1]
	if f.Route != discordtest.RouteFollowup || f.Message.Content == "" {
		t.Errorf("got %s %q, want the answer as a followup", f.Route, f.Message.Content)
	}
	e := h.wait(2, discordtest.ForInteraction(pin.Token))[1]
	if e.Route != discordtest.RouteEditOrig || len(e.Message.Buttons()) == 0 {
		t.Errorf("got %s with %d buttons, want the triage step edited into the message", e.Route, len(e.Message.Buttons()))
	}
}

func TestAPICallsReportedWithoutIDs(t *testing.T) {
	var mu sync.Mutex
	routes := map[string]int{}
	h := newHarness(t, func(x *harness) {
		x.cfg.OnAPICall = func(route string, err error) {
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				route += " failed"
			}
			routes[route]++
		}
	})
	h.command(inGuild, "ask", map[string]string{"question": h.secret("what is a support group")})
	h.stop()
	mu.Lock()
	defer mu.Unlock()
	for _, want := range []string{
		"GET /users/me", "GET /gateway/bot", "PUT /applications/{id}/guilds/{id}/commands",
		"POST /interactions/{id}/{token}/callback",
	} {
		if routes[want] == 0 {
			t.Errorf("no call %q reported; got %v", want, routes)
		}
	}
	for r := range routes {
		for _, s := range h.secrets {
			if strings.Contains(r, s) {
				t.Errorf("route %q holds %q", r, s)
			}
		}
		if strings.HasSuffix(r, " failed") {
			t.Errorf("call %s", r)
		}
	}
}

func TestLongReplyIsSplit(t *testing.T) {
	long := strings.Repeat("A line of a long answer, with **bold** and a [link](https://example.org).\n", 80)
	h := newHarness(t, withHandler(handlerFunc(func(ctx context.Context, m bot.Message) bot.Reply {
		return bot.Reply{Kind: bot.KindAnswer, Text: long, Choices: []bot.Choice{{Label: "More", Data: "topics"}}}
	})))
	in, _ := h.command(inGuild, "ask", map[string]string{"question": h.secret("tell me everything")})
	calls := h.wait(3, discordtest.ForInteraction(in.Token))
	total := 0
	for i, c := range calls {
		total += len(strings.Join(strings.Fields(c.Message.Content), ""))
		if c.Message.Flags&discordtest.FlagEphemeral == 0 {
			t.Errorf("part %d not ephemeral", i)
		}
		if last := i == len(calls)-1; last != (len(c.Message.Buttons()) > 0) {
			t.Errorf("part %d of %d: buttons only on the last part", i, len(calls))
		}
	}
	if want := len(strings.Join(strings.Fields(long), "")); total != want {
		t.Errorf("%d non-space characters sent, the reply has %d", total, want)
	}
}

func TestPanicIsRecovered(t *testing.T) {
	h := newHarness(t, withHandler(handlerFunc(func(ctx context.Context, m bot.Message) bot.Reply {
		panic("boom")
	})))
	_, c := h.command(inGuild, "ask", map[string]string{"question": h.secret("anything")})
	if c.Type != discordtest.CallbackMessage || c.Message.Content == "" {
		t.Errorf("got type %d %q, want an apology", c.Type, c.Message.Content)
	}
	h.rec.Wait(t, "of the panic", isErr(bot.ErrorKindPanic))
	h.fake.SendMessage(inDM, h.secret("hello there"), false)
	if c := h.wait(1, discordtest.ForChannel(dmChannel))[0]; c.Message.Content == "" {
		t.Errorf("no apology in the DM")
	}
}

func TestShutdownFinishesInFlight(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1) // one signal; the handler never blocks on it
	var core discord.Handler
	h := newHarness(t, withHandler(handlerFunc(func(ctx context.Context, m bot.Message) bot.Reply {
		entered <- struct{}{}
		<-release
		return core.Handle(ctx, m)
	})))
	core = h.core
	h.fake.SendMessage(inDM, h.secret("hello"), false)
	select {
	case <-entered:
	case <-t.Context().Done():
		t.Fatal("handler never called")
	}
	h.cancel() // ask Run to stop while the message is in flight
	close(release)
	select {
	case err := <-h.done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-t.Context().Done():
		t.Fatal("Run did not return")
	}
	h.cancel = nil
	if n := len(filter(h.fake.Calls(), discordtest.ForChannel(dmChannel))); n != 1 {
		t.Errorf("Run returned with the in-flight reply unsent (%d sent)", n)
	}
}

func TestRejectedToken(t *testing.T) {
	fake := discordtest.NewServer(discordtest.Options{})
	defer fake.Close()
	_, err := discord.New(t.Context(), discord.Config{Token: "wrong", APIURL: fake.URL, Handler: handlerFunc(nil)})
	if !errors.Is(err, discord.ErrUnauthorized) {
		t.Errorf("New with a rejected token: %v, want ErrUnauthorized", err)
	}
}

func TestConfigValidation(t *testing.T) {
	_, err := discord.New(t.Context(), discord.Config{APIURL: "ftp://x"})
	if err == nil {
		t.Fatal("New accepted an empty config")
	}
	for _, want := range []string{"token", "handler", "api url"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}
