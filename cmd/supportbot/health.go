package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// healthTimeout bounds `supportbot health`: the image's HEALTHCHECK runs it
// every 30 seconds, and an instance that cannot answer /healthz within this is
// not healthy.
const healthTimeout = 3 * time.Second

// defaultHealthAddr is where `supportbot health` looks when --http is not set.
const defaultHealthAddr = "127.0.0.1:8080"

// cmdHealth is `supportbot health`: exit 0 if the /healthz of the instance at
// --http answers 200, else 1. It needs no shell or curl, so the image's
// HEALTHCHECK can run it on scratch.
func cmdHealth(ctx context.Context, e *env, args []string) error {
	fl := e.flagSet("health")
	if err := fl.Parse(args); err != nil {
		return errUsage
	}
	addr := e.cfg.HTTP
	if addr == "" {
		addr = defaultHealthAddr
	}
	url, err := healthURL(addr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	// No proxy: the instance is on this machine, whatever HTTP_PROXY says.
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: GET %s: %s", url, resp.Status)
	}
	fmt.Fprintln(e.stdout, "ok")
	return nil
}

// healthURL turns a listen address into the URL of its /healthz. A listener on
// every interface (":8080", "0.0.0.0:8080", "[::]:8080") is asked on loopback.
func healthURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--http / SUPPORTBOT_HTTP: %q is not host:port (like :8080 or 127.0.0.1:8080)", addr)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz", nil
}
