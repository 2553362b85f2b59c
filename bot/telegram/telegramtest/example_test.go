package telegramtest_test

import (
	"context"
	"fmt"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/supportbot/supportbot/bot/telegram/telegramtest"
)

// A bot under test polls the fake; the test injects a message and waits, with a
// deadline, for what the bot sends to that chat.
func Example() {
	srv := telegramtest.NewServer(nil) // in a test: NewServer(t), closed at cleanup
	defer srv.Close()

	echo := func(ctx context.Context, b *tgbot.Bot, u *models.Update) {
		if u.Message != nil {
			_, _ = b.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: u.Message.Chat.ID, Text: "you said: " + u.Message.Text})
		}
	}
	b, err := tgbot.New(srv.Token(), tgbot.WithServerURL(srv.URL), tgbot.WithDefaultHandler(echo),
		tgbot.WithErrorsHandler(func(error) {}))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.Start(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	user := telegramtest.User(42)
	srv.SendText(telegramtest.Private(user), user, "hello")

	wait, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	c, err := srv.Next(wait, user.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Method, c.Text)
	// Output: sendMessage you said: hello
}
