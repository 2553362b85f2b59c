package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/knowledge"
	"github.com/supportbot/supportbot/store"
)

// config is everything the command line and the environment can set. It is read
// in one place, here; no other package calls os.Getenv.
type config struct {
	DB        string // SUPPORTBOT_DB
	KB        string // SUPPORTBOT_KB
	HTTP      string // SUPPORTBOT_HTTP
	LogFormat string // SUPPORTBOT_LOG_FORMAT: text or json
	LogLevel  string // SUPPORTBOT_LOG_LEVEL: debug, info, warn, error
	Retention string // SUPPORTBOT_RETENTION: how long hourly stats are kept before the daily roll-up

	TelegramToken    string // TELEGRAM_BOT_TOKEN
	TelegramAPIURL   string // TELEGRAM_API_URL
	TelegramAdminIDs string // TELEGRAM_ADMIN_IDS, comma-separated user ids
	// Webhook mode (instead of long polling) when TelegramWebhookURL is set:
	// Telegram POSTs updates to that public HTTPS URL, which a proxy forwards to
	// TelegramWebhookListen; TelegramWebhookSecret authenticates the deliveries.
	TelegramWebhookURL    string // TELEGRAM_WEBHOOK_URL
	TelegramWebhookListen string // TELEGRAM_WEBHOOK_LISTEN, host:port (default :8443)
	TelegramWebhookSecret string // TELEGRAM_WEBHOOK_SECRET

	DiscordToken   string // DISCORD_BOT_TOKEN
	DiscordAPIURL  string // DISCORD_API_URL
	DiscordGuildID string // DISCORD_GUILD_ID
}

// env is a parsed command line together with the process's outside world.
type env struct {
	cfg    config
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// stop undoes the signal handling of run, so a second signal kills the
	// process at once (the default behaviour) while a graceful shutdown runs.
	stop func()
}

// parseGlobal reads the environment and the global flags before the command
// name, and returns the rest of the arguments (the command and its own).
func parseGlobal(args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) (*env, []string, error) {
	e := &env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr, stop: func() {}}
	def := func(name, fallback string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return fallback
	}
	e.cfg = config{
		DB:                    def("SUPPORTBOT_DB", "supportbot.db"),
		KB:                    def("SUPPORTBOT_KB", ""),
		HTTP:                  def("SUPPORTBOT_HTTP", ""),
		LogFormat:             def("SUPPORTBOT_LOG_FORMAT", "text"),
		LogLevel:              def("SUPPORTBOT_LOG_LEVEL", "info"),
		Retention:             def("SUPPORTBOT_RETENTION", "90d"),
		TelegramToken:         def("TELEGRAM_BOT_TOKEN", ""),
		TelegramAPIURL:        def("TELEGRAM_API_URL", ""),
		TelegramAdminIDs:      def("TELEGRAM_ADMIN_IDS", ""),
		TelegramWebhookURL:    def("TELEGRAM_WEBHOOK_URL", ""),
		TelegramWebhookListen: def("TELEGRAM_WEBHOOK_LISTEN", ""),
		TelegramWebhookSecret: def("TELEGRAM_WEBHOOK_SECRET", ""),
		DiscordToken:          def("DISCORD_BOT_TOKEN", ""),
		DiscordAPIURL:         def("DISCORD_API_URL", ""),
		DiscordGuildID:        def("DISCORD_GUILD_ID", ""),
	}
	fl := e.flagSet("supportbot")
	fl.Usage = func() { printUsage(stderr) }
	if len(args) > 0 {
		args = args[1:]
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, nil, errUsage
		}
		return nil, nil, errUsage
	}
	return e, fl.Args(), nil
}

// flagSet returns a flag set for a command that also accepts the global flags
// (--db and --kb are accepted everywhere), writing errors to stderr.
func (e *env) flagSet(name string) *flag.FlagSet {
	fl := flag.NewFlagSet(name, flag.ContinueOnError)
	fl.SetOutput(e.stderr)
	fl.StringVar(&e.cfg.DB, "db", e.cfg.DB, "the stats database `file` (SUPPORTBOT_DB)")
	fl.StringVar(&e.cfg.KB, "kb", e.cfg.KB, "a knowledge base `dir`ectory replacing the built-in one (SUPPORTBOT_KB)")
	fl.StringVar(&e.cfg.HTTP, "http", e.cfg.HTTP, "serve /healthz, /readyz and /metrics on this `addr`ess (SUPPORTBOT_HTTP)")
	fl.StringVar(&e.cfg.LogFormat, "log-format", e.cfg.LogFormat, "log format: text or json (SUPPORTBOT_LOG_FORMAT)")
	fl.StringVar(&e.cfg.LogLevel, "log-level", e.cfg.LogLevel, "log level: debug, info, warn or error (SUPPORTBOT_LOG_LEVEL)")
	fl.StringVar(&e.cfg.Retention, "retention", e.cfg.Retention, "keep hourly stats this long, then roll them up into days, e.g. 90d (SUPPORTBOT_RETENTION)")
	return fl
}

// validate reports every problem with the configuration at once, each naming the
// variable (or flag) and what is wrong with it, never a token's value.
func (c config) validate() error {
	var errs []error
	if _, err := parseLevel(c.LogLevel); err != nil {
		errs = append(errs, fmt.Errorf("--log-level / SUPPORTBOT_LOG_LEVEL: %w", err))
	}
	if _, err := parseSince(c.Retention); err != nil {
		errs = append(errs, fmt.Errorf("--retention / SUPPORTBOT_RETENTION: %w", err))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("--log-format / SUPPORTBOT_LOG_FORMAT: %q is not text or json", c.LogFormat))
	}
	if c.KB != "" {
		if st, err := os.Stat(c.KB); err != nil || !st.IsDir() {
			errs = append(errs, fmt.Errorf("--kb / SUPPORTBOT_KB: %q is not a readable directory", c.KB))
		}
	}
	if _, err := c.adminIDs(); err != nil {
		errs = append(errs, err)
	}
	for _, u := range []struct{ name, val string }{
		{"TELEGRAM_API_URL", c.TelegramAPIURL},
		{"DISCORD_API_URL", c.DiscordAPIURL},
	} {
		if u.val == "" {
			continue
		}
		p, err := url.Parse(u.val)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			errs = append(errs, fmt.Errorf("%s: %q is not an http(s) URL", u.name, u.val))
		}
	}
	if c.HTTP != "" {
		if _, _, err := net.SplitHostPort(c.HTTP); err != nil {
			errs = append(errs, fmt.Errorf("--http / SUPPORTBOT_HTTP: %q is not host:port (like :8080 or 127.0.0.1:8080)", c.HTTP))
		}
	}
	errs = append(errs, c.validateWebhook()...)
	if c.DiscordGuildID != "" {
		if _, err := strconv.ParseUint(c.DiscordGuildID, 10, 64); err != nil {
			errs = append(errs, fmt.Errorf("DISCORD_GUILD_ID: %q is not a numeric guild id", c.DiscordGuildID))
		}
	}
	return errors.Join(errs...)
}

// adminIDs parses TELEGRAM_ADMIN_IDS.
func (c config) adminIDs() ([]int64, error) {
	var ids []int64
	for _, f := range strings.Split(c.TelegramAdminIDs, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("TELEGRAM_ADMIN_IDS: %q is not a numeric user id (want a comma-separated list like 12345,67890)", f)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("%q is not debug, info, warn or error", s)
	}
	return l, nil
}

// logger builds the one logger of the process, on stderr.
func (e *env) logger() *slog.Logger {
	level, err := parseLevel(e.cfg.LogLevel)
	if err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if e.cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(e.stderr, opts))
}

// knowledgeFS is the knowledge base to use: --kb DIR, or the built-in one.
func (e *env) knowledgeFS() fs.FS {
	if e.cfg.KB != "" {
		return os.DirFS(e.cfg.KB)
	}
	return knowledge.Embedded()
}

// loadKnowledge loads the knowledge base (--kb DIR or the built-in one). Its
// error names the variable on its first line and lists every problem after.
func (e *env) loadKnowledge() (bot.Knowledge, error) {
	k, err := knowledge.Load(e.knowledgeFS())
	if err == nil {
		return k, nil
	}
	if e.cfg.KB != "" {
		return k, fmt.Errorf("--kb / SUPPORTBOT_KB: %s is not a usable knowledge base (run `supportbot kb check --kb %s` for details):\n%w", e.cfg.KB, e.cfg.KB, err)
	}
	return k, fmt.Errorf("load the built-in knowledge base (run `supportbot kb check` for details):\n%w", err)
}

// newBot loads the knowledge base and builds the core.
func (e *env) newBot(opts ...bot.Option) (*bot.Bot, error) {
	defer started()
	k, err := e.loadKnowledge()
	if err != nil {
		return nil, err
	}
	b, err := bot.New(k, opts...)
	if err != nil {
		return nil, fmt.Errorf("start bot: %w", err)
	}
	return b, nil
}

// webhookSecretOK reports whether s is what Telegram accepts as a webhook
// secret token: 1 to 256 characters of A-Z, a-z, 0-9, _ and -. A loop, not
// the regular expression ^[A-Za-z0-9_-]{1,256}$: compiling that one costs a
// millisecond and 240 KB at every start of every command.
func webhookSecretOK(s string) bool {
	if len(s) < 1 || len(s) > 256 {
		return false
	}
	for i := range len(s) {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-':
		default:
			return false // including every byte of a non-ASCII character
		}
	}
	return true
}

// validateWebhook checks the TELEGRAM_WEBHOOK_* variables, never printing the
// secret.
func (c config) validateWebhook() []error {
	var errs []error
	if c.TelegramWebhookURL == "" {
		for _, v := range []struct{ name, val string }{
			{"TELEGRAM_WEBHOOK_LISTEN", c.TelegramWebhookListen},
			{"TELEGRAM_WEBHOOK_SECRET", c.TelegramWebhookSecret},
		} {
			if v.val != "" {
				errs = append(errs, fmt.Errorf("%s is set but TELEGRAM_WEBHOOK_URL is not (set it to use webhook mode, or unset %s for long polling)", v.name, v.name))
			}
		}
		return errs
	}
	if c.TelegramToken == "" {
		errs = append(errs, errors.New("TELEGRAM_WEBHOOK_URL is set but TELEGRAM_BOT_TOKEN is not"))
	}
	if p, err := url.Parse(c.TelegramWebhookURL); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		errs = append(errs, fmt.Errorf("TELEGRAM_WEBHOOK_URL: %q is not an http(s) URL (Telegram needs the public https:// address it posts updates to)", c.TelegramWebhookURL))
	}
	if c.TelegramWebhookListen != "" {
		if _, _, err := net.SplitHostPort(c.TelegramWebhookListen); err != nil {
			errs = append(errs, fmt.Errorf("TELEGRAM_WEBHOOK_LISTEN: %q is not host:port (like :8443)", c.TelegramWebhookListen))
		}
	}
	if c.TelegramWebhookSecret != "" && !webhookSecretOK(c.TelegramWebhookSecret) {
		errs = append(errs, errors.New("TELEGRAM_WEBHOOK_SECRET: must be 1 to 256 characters of A-Z, a-z, 0-9, _ and - (the value is not shown)"))
	}
	return errs
}

// storeOptions are the stats store's settings for recording (run, chat, ask).
func (e *env) storeOptions(log *slog.Logger) store.Options {
	o := store.Options{Logger: log}
	// validate has reported a bad value already where it matters (run); chat
	// and ask fall back to the store's default rather than refuse to talk.
	if d, err := parseSince(e.cfg.Retention); err == nil {
		o.Retention = d
	}
	return o
}
