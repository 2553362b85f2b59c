// Package console is the terminal adapter of supportbot: it drives the same
// [bot.Bot] as the chat platforms from lines of text, printing offered buttons as
// numbered lines ("[1] label") that the person presses by typing the number. It
// works interactively and with standard input piped, one message per line.
package console

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/supportbot/supportbot/bot"
)

// Platform is the platform name the console reports in usage stats.
const Platform = "console"

// MaxLine is the longest line read; the rest of a longer line is discarded. The
// core truncates long messages for matching anyway; this bounds memory.
const MaxLine = 1 << 20

// Handler is what the console needs of the core.
type Handler interface {
	Handle(ctx context.Context, m bot.Message) bot.Reply
}

// Options configures [Run].
type Options struct {
	// Prompt is printed before each line is read; empty for piped input.
	Prompt string
	// Greet sends the welcome (as /start does on the platforms) before reading.
	Greet bool
}

// Run holds one conversation: it reads lines from in until end of input or until
// ctx is done, and writes each reply to out. A line that is just the number of
// an offered button presses it; "/triage", "/topics", "/help" and the other
// commands do what they do on the platforms.
func Run(ctx context.Context, h Handler, in io.Reader, out io.Writer, opts Options) error {
	c := &conversation{h: h, out: out, id: newConversationID()}
	if opts.Greet {
		if err := c.send(ctx, bot.Message{Data: bot.DataStart}); err != nil {
			return err
		}
	}
	lines := make(chan string)
	readErr := make(chan error, 1) // buffered: the reader goroutine never blocks on exit
	go func() {
		readErr <- readLines(ctx, in, lines)
	}()
	for {
		if opts.Prompt != "" {
			if _, err := io.WriteString(out, opts.Prompt); err != nil {
				return fmt.Errorf("write prompt: %w", err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case err := <-readErr:
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		case line := <-lines:
			if err := c.send(ctx, c.message(line)); err != nil {
				return err
			}
		}
	}
}

// readLines sends each line of in to lines until in ends (io.EOF) or fails.
func readLines(ctx context.Context, in io.Reader, lines chan<- string) error {
	r := bufio.NewReaderSize(in, 64<<10)
	for {
		line, err := readLine(r)
		if err != nil && (line == "" || !errors.Is(err, io.EOF)) {
			if errors.Is(err, io.EOF) {
				return io.EOF
			}
			return fmt.Errorf("read input: %w", err)
		}
		select {
		case lines <- line:
		case <-ctx.Done():
			return ctx.Err()
		}
		if err != nil {
			return io.EOF
		}
	}
}

// readLine reads one line of at most MaxLine bytes, discarding the rest.
func readLine(r *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		chunk, isPrefix, err := r.ReadLine()
		if b.Len() < MaxLine {
			room := MaxLine - b.Len()
			if len(chunk) > room {
				chunk = chunk[:room]
			}
			b.Write(chunk)
		}
		if err != nil {
			return b.String(), err
		}
		if !isPrefix {
			return b.String(), nil
		}
	}
}

type conversation struct {
	h       Handler
	out     io.Writer
	id      string
	choices []bot.Choice // the buttons of the last reply, pressed by number
}

// message turns a typed line into a message: a button's number, a command, or text.
func (c *conversation) message(line string) bot.Message {
	t := strings.TrimSpace(line)
	if n, err := strconv.Atoi(t); err == nil && n >= 1 && n <= len(c.choices) {
		return bot.Message{Data: c.choices[n-1].Data}
	}
	if name, ok := strings.CutPrefix(t, "/"); ok {
		name, arg, _ := strings.Cut(name, " ")
		if data, ok := bot.CommandData(name); ok {
			return bot.Message{Data: data}
		}
		if strings.EqualFold(name, "ask") {
			return bot.Message{Text: arg}
		}
	}
	return bot.Message{Text: line}
}

func (c *conversation) send(ctx context.Context, m bot.Message) error {
	m.Platform = Platform
	m.Community = bot.CommunityDM
	m.Conversation = c.id
	r := c.h.Handle(ctx, m)
	c.choices = r.Choices
	if _, err := io.WriteString(c.out, Render(r)+"\n"); err != nil {
		return fmt.Errorf("write reply: %w", err)
	}
	return nil
}

// Render formats a reply for the terminal: plain text, then each button as
// "[N] label" on a line of its own.
func Render(r bot.Reply) string {
	var b strings.Builder
	b.WriteString(strings.TrimRight(bot.Plain(r.Text), "\n"))
	b.WriteByte('\n')
	for i, ch := range r.Choices {
		fmt.Fprintf(&b, "[%d] %s\n", i+1, ch.Label)
	}
	return b.String()
}

// newConversationID makes a random key for this terminal conversation; it is
// only ever hashed in memory by the core.
func newConversationID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}
