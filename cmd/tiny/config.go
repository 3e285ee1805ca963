package main

import (
	"flag"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/peterbourgon/ff/v3/ffcli"
)

// envPrefix makes every flag settable from the environment: --base-url is
// TINY_BASE_URL.
const envPrefix = "TINY"

// Config is the whole configuration of `tiny serve`, built from flags and
// environment variables and passed down; nothing reads globals.
type Config struct {
	Addr            string
	Database        string
	BaseURL         string
	InitialAPIKey   string
	LogLevel        string
	LogFormat       string
	CacheSize       int
	CacheTTL        time.Duration
	IDBlockSize     int64
	ClickQueue      int
	ClickBatch      int
	ClickFlush      time.Duration
	ReadTimeout     time.Duration
	WriteTimeout    time.Duration
	IdleTimeout     time.Duration
	ShutdownTimeout time.Duration
	MaxBodyBytes    int
}

// DefaultConfig is the zero-configuration start: an SQLite file in the
// working directory, served on the loopback interface.
func DefaultConfig() Config {
	return Config{
		Addr:            "127.0.0.1:8080",
		Database:        "tiny.db",
		LogLevel:        "info",
		LogFormat:       "text",
		CacheSize:       100_000,
		CacheTTL:        10 * time.Minute,
		IDBlockSize:     1000,
		ClickQueue:      1 << 16,
		ClickBatch:      1000,
		ClickFlush:      time.Second,
		ReadTimeout:     30 * time.Second,
		WriteTimeout:    30 * time.Second,
		IdleTimeout:     120 * time.Second,
		ShutdownTimeout: 20 * time.Second,
		MaxBodyBytes:    16 << 20,
	}
}

func (c *Config) register(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "address to listen on")
	fs.StringVar(&c.Database, "database", c.Database, "SQLite file path")
	fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "public URL short links are built on (default http://<addr>)")
	fs.StringVar(&c.InitialAPIKey, "initial-api-key", c.InitialAPIKey, "secret of the admin key created on the first start (default random, printed once)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log format: text or json")
	fs.IntVar(&c.CacheSize, "cache-size", c.CacheSize, "links held in the redirect cache")
	fs.DurationVar(&c.CacheTTL, "cache-ttl", c.CacheTTL, "how long a link stays in the redirect cache")
	fs.Int64Var(&c.IDBlockSize, "id-block", c.IDBlockSize, "link ids leased from the store at a time")
	fs.IntVar(&c.ClickQueue, "click-queue", c.ClickQueue, "clicks queued in memory at most; more are dropped and counted")
	fs.IntVar(&c.ClickBatch, "click-batch", c.ClickBatch, "clicks written per batch at most")
	fs.DurationVar(&c.ClickFlush, "click-flush", c.ClickFlush, "longest a click waits before it is written; a crash loses at most this much")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", c.ReadTimeout, "time to read a whole request")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", c.WriteTimeout, "time to write a response")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", c.IdleTimeout, "time an idle keep-alive connection is kept")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "time in-flight requests get to finish on SIGTERM")
	fs.IntVar(&c.MaxBodyBytes, "max-body", c.MaxBodyBytes, "largest request body in bytes")
}

// baseURL returns the parsed base URL, defaulting to http://<addr>.
func (c *Config) baseURL() (*url.URL, error) {
	raw := c.BaseURL
	if raw == "" {
		raw = "http://" + c.Addr
	}
	u, err := url.Parse(strings.TrimSuffix(raw, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--base-url %q must be an absolute http or https URL", raw)
	}
	return u, nil
}

// ownHosts are the host[:port] values that reach this instance; links to
// them are refused as redirect loops.
func (c *Config) ownHosts(base *url.URL) []string {
	hosts := []string{base.Host}
	if host, port, err := net.SplitHostPort(c.Addr); err == nil && host != "" {
		hosts = append(hosts, net.JoinHostPort(host, port))
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			hosts = append(hosts, net.JoinHostPort("localhost", port))
		}
	}
	return hosts
}

// usage prints a command's flags with the environment variable of each.
func usage(c *ffcli.Command) string {
	var b strings.Builder
	fmt.Fprintf(&b, "USAGE\n  %s\n\n", c.ShortUsage)
	if c.LongHelp != "" {
		fmt.Fprintf(&b, "%s\n\n", c.LongHelp)
	}
	b.WriteString("FLAGS (each also read from the environment variable shown)\n")
	c.FlagSet.VisitAll(func(f *flag.Flag) {
		env := envPrefix + "_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		def := ""
		if f.DefValue != "" {
			def = fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(&b, "  --%-18s %-24s %s%s\n", f.Name, env, f.Usage, def)
	})
	return b.String()
}
