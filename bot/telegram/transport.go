package telegram

import (
	"bytes"
	"fmt"
	"io"
	"net/http"

	tgbot "github.com/go-telegram/bot"
)

// httpError is an answer of the Bot API with a server error status (5xx). The
// library reports those only as text ("error response from telegram …"), or,
// when a proxy answered with a page of its own, by quoting that page; so the
// client below returns this instead, which the library wraps (%w) in its own
// error, and the retry decision reads the status with errors.As.
type httpError struct{ Status int }

func (e *httpError) Error() string { return fmt.Sprintf("bot api answered HTTP %d", e.Status) }

// client is the [tgbot.HttpClient] the library sends every call through (the
// WithHTTPClient seam): it turns a 5xx into an [httpError] and sends each body
// in one piece.
type client struct {
	next tgbot.HttpClient
}

func (c *client) Do(req *http.Request) (*http.Response, error) {
	if err := bufferBody(req); err != nil {
		return nil, err
	}
	resp, err := c.next.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= http.StatusInternalServerError {
		// Drained so the connection can be reused; the body says nothing the
		// status does not.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		return nil, &httpError{Status: resp.StatusCode}
	}
	return resp, nil
}

// bufferBody reads a request body of unknown length into memory. The library
// streams its multipart form through a pipe, which the transport then sends in
// many small writes (chunked, about 17 write system calls per reply, a third of
// the process's CPU under load); a body of known length goes out in one or two.
// Bodies are a few KB (a reply is at most 4096 characters; the /stats chart a
// few dozen KB).
func bufferBody(req *http.Request) error {
	if req.Body == nil || req.Body == http.NoBody || req.ContentLength > 0 {
		return nil
	}
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return fmt.Errorf("read request body: %w", err)
	}
	req.ContentLength = int64(len(body))
	if len(body) == 0 {
		// A body of length 0 that is not NoBody would still be sent chunked.
		req.Body, req.GetBody = http.NoBody, func() (io.ReadCloser, error) { return http.NoBody, nil }
		return nil
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return nil
}
