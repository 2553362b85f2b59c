package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// maxUpdateBody bounds a webhook request body: real updates are a few KB.
const maxUpdateBody = 1 << 20

// SecretHeader is the header Telegram puts the webhook secret in.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// runWebhook listens for updates, registers the webhook, and serves until ctx is
// done; then it stops accepting requests and waits for those being read.
func (a *Adapter) runWebhook(ctx context.Context) error {
	w := a.cfg.Webhook
	ln, err := net.Listen("tcp", w.Listen)
	if err != nil {
		return fmt.Errorf("telegram webhook: listen: %w", err)
	}
	srv := &http.Server{
		Handler:           a.webhookHandler(ctx),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	served := make(chan error, 1) // buffered: Serve's result is read once, or not at all
	go func() { served <- srv.Serve(ln) }()
	err = a.call(ctx, "setWebhook", "", func(ctx context.Context) error {
		_, err := a.tg.SetWebhook(ctx, &tgbot.SetWebhookParams{
			URL:            w.PublicURL,
			SecretToken:    w.Secret,
			AllowedUpdates: []string{"message", "callback_query"},
		})
		return err
	})
	if err != nil {
		a.connected.Store(false)
		shutdown(ctx, srv)
		<-served
		return fmt.Errorf("telegram webhook: register: %s", safeErr(err))
	}
	a.connected.Store(true)
	a.log.Info("telegram webhook serving", "addr", ln.Addr().String())
	select {
	case <-ctx.Done():
	case err = <-served:
		a.connected.Store(false)
		return fmt.Errorf("telegram webhook: serve: %w", err)
	}
	shutdown(ctx, srv)
	<-served
	return nil
}

// shutdown stops srv, letting the requests being read finish: on ctx's values
// but not its cancellation (ctx is usually done already, which is why we stop).
func shutdown(ctx context.Context, srv *http.Server) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}

// webhookHandler accepts Telegram's POSTs. Without the right secret it answers
// 401 and processes nothing. A valid update is answered 200 at once and handled
// in the background (Telegram retries anything else, so even an update we cannot
// use is answered 200 once it is decoded).
func (a *Adapter) webhookHandler(ctx context.Context) http.Handler {
	want := []byte(a.cfg.Webhook.Secret)
	path := "/"
	if u, err := url.Parse(a.cfg.Webhook.PublicURL); err == nil && u.Path != "" {
		path = u.Path
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get(SecretHeader)), want) != 1 {
			// Anyone can send these: counted, one line a minute at most.
			a.webhookDenied.Add()
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		var u models.Update
		dec := json.NewDecoder(io.LimitReader(r.Body, maxUpdateBody))
		if err := dec.Decode(&u); err != nil {
			// The error may quote the payload; log only its class.
			var syn *json.SyntaxError
			a.webhookBad.Add("syntax_error", errors.As(err, &syn))
			http.Error(w, "bad update", http.StatusBadRequest)
			return
		}
		if !a.enqueue(ctx, &u, nil) {
			// Shutting down with every slot busy: Telegram will deliver it again.
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}
