package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/supportbot/supportbot/bot/telegram/telegramtest"
)

// The scenarios of issue 13, run against the binary (-bin) by -scenario NAME.
// Each prints the figure the issue gives, so a build can be measured before
// and after a change:
//
//   - health:   an API that accepts connections and never answers; how long
//     until `supportbot health` first succeeds, for Telegram and Discord.
//   - throttle: a private chat sends 200 messages while every message to it is
//     answered 429 (-retry-after seconds); how long another person's question
//     waits, how the bot exits on SIGTERM, and how many log lines the 429s
//     wrote.
//   - webhook:  7,000 requests to the webhook without the secret; how many log
//     lines and bytes they wrote.
//   - crisis:   one person sends 1,000 messages showing signs of crisis, in a
//     private chat and in a group; how many replies each chat got.
//   - crash:    300 people write at once; the bot is killed (SIGKILL) after
//     half of them were answered, then started again; how many people got the
//     same answer twice, and how many got none.
func runScenario(ctx context.Context, o options, dir string) error {
	switch o.scenario {
	case "health":
		for _, p := range []string{"telegram", "discord"} {
			d, err := scenarioHealth(ctx, o, p)
			if err != nil {
				return err
			}
			fmt.Printf("%-8s  supportbot health first succeeded after %s\n", p, d.Round(10*time.Millisecond))
		}
		return nil
	case "throttle":
		return scenarioThrottle(ctx, o, dir)
	case "webhook":
		return scenarioWebhook(ctx, o, dir)
	case "crash":
		return scenarioCrash(ctx, o, dir)
	case "crisis":
		return scenarioCrisis(ctx, o, dir)
	}
	return fmt.Errorf("unknown scenario %q (health, throttle, webhook, crash, crisis)", o.scenario)
}

// startBot starts the binary with env added; its log goes to the returned buffer.
func startBot(o options, env ...string) (*exec.Cmd, *lockedBuffer, error) {
	cmd := exec.Command(o.bin, "--log-format", "json", "run")
	cmd.Env = append(os.Environ(), "DISCORD_BOT_TOKEN=", "TELEGRAM_BOT_TOKEN=", "SUPPORTBOT_KB=", "TELEGRAM_WEBHOOK_URL=", "SUPPORTBOT_HTTP=")
	cmd.Env = append(cmd.Env, env...)
	logs := &lockedBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start supportbot: %w", err)
	}
	return cmd, logs, nil
}

func scenarioHealth(ctx context.Context, o options, platform string) (time.Duration, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	go func() {
		var held []net.Conn // never answered; closed when the listener is
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	addr, err := freeAddr()
	if err != nil {
		return 0, err
	}
	api := "http://" + ln.Addr().String()
	env := []string{"SUPPORTBOT_HTTP=" + addr, "SUPPORTBOT_DB=" + filepath.Join(os.TempDir(), "supportbot-scenario-"+platform+".db")}
	if platform == "telegram" {
		env = append(env, "TELEGRAM_BOT_TOKEN=1:x", "TELEGRAM_API_URL="+api)
	} else {
		env = append(env, "DISCORD_BOT_TOKEN=x", "DISCORD_API_URL="+api+"/api/v10")
	}
	cmd, _, err := startBot(o, env...)
	if err != nil {
		return 0, err
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	start := time.Now()
	for ctx.Err() == nil {
		if exec.CommandContext(ctx, o.bin, "--http", addr, "health").Run() == nil {
			return time.Since(start), nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return 0, ctx.Err()
}

func scenarioThrottle(ctx context.Context, o options, dir string) error {
	fake := telegramtest.NewServer(nil)
	defer fake.Close()
	flooder := telegramtest.User(900000001)
	chat := telegramtest.Private(flooder)
	fake.FailChat(chat.ID, telegramtest.Failure{Code: 429, RetryAfter: o.retryAfter})
	cmd, logs, err := startBot(o, "TELEGRAM_BOT_TOKEN="+fake.Token(), "TELEGRAM_API_URL="+fake.URL, "SUPPORTBOT_DB="+filepath.Join(dir, "stats.db"))
	if err != nil {
		return err
	}
	defer cmd.Process.Kill()
	// Ready: the bot has polled once.
	for fake.Count("getMe") == 0 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	for i := range 200 {
		fake.SendText(chat, flooder, "hello "+strconv.Itoa(i))
	}
	time.Sleep(time.Second) // the flood is being handled
	other := telegramtest.User(900000002)
	t0 := time.Now()
	fake.SendText(telegramtest.Private(other), other, "how much does a support group cost?")
	if _, err := fake.Next(ctx, other.ID); err != nil {
		return fmt.Errorf("the other person's question: %w", err)
	}
	wait := time.Since(t0)
	cmd.Process.Signal(syscall.SIGTERM)
	t1 := time.Now()
	exitErr := cmd.Wait()
	fmt.Printf("retry_after %ds: another person's question answered after %s\n", o.retryAfter, wait.Round(time.Millisecond))
	fmt.Printf("SIGTERM: exit %s after %s\n", exitOf(exitErr), time.Since(t1).Round(time.Millisecond))
	fmt.Printf("messages to the throttled chat tried: %d\n", fake.Refused(chat.ID))
	fmt.Printf("log lines about retries: %d (of %d lines, %d bytes)\n", strings.Count(logs.String(), "retrying"),
		strings.Count(logs.String(), "\n"), len(logs.String()))
	return nil
}

func scenarioWebhook(ctx context.Context, o options, dir string) error {
	fake := telegramtest.NewServer(nil)
	defer fake.Close()
	listen, err := freeAddr()
	if err != nil {
		return err
	}
	cmd, logs, err := startBot(o, "TELEGRAM_BOT_TOKEN="+fake.Token(), "TELEGRAM_API_URL="+fake.URL, "SUPPORTBOT_DB="+filepath.Join(dir, "stats.db"),
		"TELEGRAM_WEBHOOK_URL=https://bot.example.org/hook", "TELEGRAM_WEBHOOK_LISTEN="+listen, "TELEGRAM_WEBHOOK_SECRET=right_secret")
	if err != nil {
		return err
	}
	defer cmd.Process.Kill()
	for fake.Count("setWebhook") == 0 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	before := len(logs.String())
	linesBefore := strings.Count(logs.String(), "\n")
	const n = 7000
	for range n {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+listen+"/hook", strings.NewReader("{}"))
		req.Header.Set(secretHeader, "wrong")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	out := logs.String()
	fmt.Printf("%d webhook requests without the secret: %d log lines, %d bytes\n", n,
		strings.Count(out, "\n")-linesBefore, len(out)-before)
	return nil
}

const secretHeader = "X-Telegram-Bot-Api-Secret-Token"

func scenarioCrash(ctx context.Context, o options, dir string) error {
	fake := telegramtest.NewServer(nil)
	defer fake.Close()
	db := filepath.Join(dir, "stats.db")
	env := []string{"TELEGRAM_BOT_TOKEN=" + fake.Token(), "TELEGRAM_API_URL=" + fake.URL, "SUPPORTBOT_DB=" + db}
	const n = 300
	people := make([]int64, n)
	for i := range n {
		u := telegramtest.User(int64(800000000 + i))
		people[i] = u.ID
		fake.SendText(telegramtest.Private(u), u, "how much does a support group cost?")
	}
	cmd, _, err := startBot(o, env...)
	if err != nil {
		return err
	}
	for fake.Count("sendMessage") < n/2 && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
	cmd.Process.Kill() // kill -9 in the middle of the batch
	cmd.Wait()
	atCrash := fake.Count("sendMessage")
	unconfirmed := fake.Unconfirmed()
	answeredUnconfirmed := 0
	for _, id := range unconfirmed {
		if len(fake.Pending(people[id-1])) > 0 { // update ids count from 1, in the order people wrote
			answeredUnconfirmed++
		}
	}
	if len(unconfirmed) > 0 {
		fmt.Printf("at the kill: %d updates unconfirmed (from update %d), %d of them answered\n", len(unconfirmed), unconfirmed[0], answeredUnconfirmed)
	}
	cmd, _, err = startBot(o, env...)
	if err != nil {
		return err
	}
	// Everyone answered at least once, then a moment for duplicates.
	deadline := time.Now().Add(time.Minute)
	for ctx.Err() == nil && time.Now().Before(deadline) {
		answered := 0
		for _, id := range people {
			if len(fake.Pending(id)) > 0 {
				answered++
			}
		}
		if answered == n {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	twice, none := 0, 0
	for _, id := range people {
		switch k := len(fake.Pending(id)); {
		case k == 0:
			none++
		case k > 1:
			twice++
		}
	}
	fmt.Printf("%d people, killed after %d answers: %d answered twice, %d not answered\n", n, atCrash, twice, none)
	if none > 0 {
		return errors.New("answers lost")
	}
	return nil
}

func scenarioCrisis(ctx context.Context, o options, dir string) error {
	fake := telegramtest.NewServer(nil)
	defer fake.Close()
	cmd, _, err := startBot(o, "TELEGRAM_BOT_TOKEN="+fake.Token(), "TELEGRAM_API_URL="+fake.URL, "SUPPORTBOT_DB="+filepath.Join(dir, "stats.db"))
	if err != nil {
		return err
	}
	defer cmd.Process.Kill()
	for fake.Count("getMe") == 0 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	person := telegramtest.User(900000003)
	chats := []struct {
		name string
		chat models.Chat
	}{{"private chat", telegramtest.Private(person)}, {"group", telegramtest.Group(-1009000000003)}}
	const n = 1000
	for _, c := range chats {
		for range n {
			fake.SendText(c.chat, person, "I want to kill myself")
		}
	}
	// Wait until the bot has confirmed every update (taken and handled them).
	deadline := time.Now().Add(2 * time.Minute)
	for len(fake.Unconfirmed()) > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second)
	for _, c := range chats {
		fmt.Printf("%d crisis messages in a %s: %d replies\n", n, c.name, len(fake.Pending(c.chat.ID)))
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	return nil
}
