package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"tiny/internal/tiny"
)

// credentials are what `tiny login` stores: the server and the API key the
// remote commands use.
type credentials struct {
	Server string `json:"server"`
	Key    string `json:"key"`
}

// credentialsPath is the file of the stored credentials, in the user's
// configuration directory ($XDG_CONFIG_HOME/tiny/config.json on Linux).
func credentialsPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the configuration directory: %w", err)
	}
	return filepath.Join(dir, "tiny", "config.json"), nil
}

// loadCredentials returns the stored credentials with TINY_SERVER and
// TINY_KEY over them; a missing file is no error.
func loadCredentials() (credentials, error) {
	var c credentials
	path, err := credentialsPath()
	if err != nil {
		return c, err
	}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return c, err
	default:
		if err := json.Unmarshal(b, &c); err != nil {
			return c, fmt.Errorf("%s: %w", path, err)
		}
	}
	if v := os.Getenv("TINY_SERVER"); v != "" {
		c.Server = v
	}
	if v := os.Getenv("TINY_KEY"); v != "" {
		c.Key = v
	}
	return c, nil
}

// saveCredentials writes c where only the user can read it: the directory
// 0700, the file 0600, replaced whole so that a reader never sees half.
func saveCredentials(c credentials) (string, error) {
	path, err := credentialsPath()
	if err != nil {
		return "", err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, ".config-*.json") // created 0600
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	return path, os.Rename(tmp.Name(), path)
}

// normalizeServer checks a server URL and drops a trailing slash.
func normalizeServer(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSuffix(strings.TrimSpace(raw), "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", usagef("the server %q must be an http:// or https:// URL", raw)
	}
	return u.String(), nil
}

// client calls a tiny server's API with an API key.
type client struct {
	server string // without a trailing slash
	key    string
	http   *http.Client
}

func newClient(server, key string) *client {
	return &client{server: server, key: key, http: &http.Client{Timeout: 30 * time.Second}}
}

// loggedIn returns a client of the stored credentials, or an unauthorized
// error that says how to log in.
func loggedIn() (*client, error) {
	c, err := loadCredentials()
	if err != nil {
		return nil, err
	}
	if c.Server == "" || c.Key == "" {
		return nil, tiny.Errorf(tiny.Unauthorized, "not logged in: run tiny login --server URL, or set TINY_SERVER and TINY_KEY")
	}
	server, err := normalizeServer(c.Server)
	if err != nil {
		return nil, err
	}
	return newClient(server, c.Key), nil
}

// call sends a request to the API and returns the body of a 2xx answer.
// Any other answer becomes a *tiny.Error of the API's error code, and a
// server that cannot be reached an Unavailable one.
func (c *client) call(ctx context.Context, method, path string, query url.Values, body any) ([]byte, error) {
	resp, err := c.send(ctx, c.http, method, path, query, body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, tiny.Errorf(tiny.Unavailable, "reading the answer of %s: %v", c.server, err)
	}
	return b, nil
}

// stream sends GET path and copies a 2xx answer's body to w as it comes,
// with no bound on its size or time (an export may be large); it gives up
// only when the server sends nothing for 30 seconds.
func (c *client) stream(ctx context.Context, path string, query url.Values, w io.Writer) error {
	hc := &http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, ResponseHeaderTimeout: 30 * time.Second}}
	resp, err := c.send(ctx, hc, http.MethodGet, path, query, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(w, resp.Body); err != nil {
		return tiny.Errorf(tiny.Unavailable, "reading the answer of %s: %v", c.server, err)
	}
	return nil
}

// send makes the request and returns a 2xx response, whose body the
// caller closes; any other answer becomes the API's error.
func (c *client) send(ctx context.Context, hc *http.Client, method, path string, query url.Values, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	u := c.server + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, tiny.Errorf(tiny.Unavailable, "cannot reach %s: %v", c.server, errors.Unwrap(err))
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, tiny.Errorf(tiny.Unavailable, "reading the answer of %s: %v", c.server, err)
	}
	return nil, apiError(resp.StatusCode, b)
}

// apiError turns an error answer into a *tiny.Error: the API's own error
// body when there is one (docs: the Error schema), else one by status, as
// a proxy in front answers.
func apiError(status int, body []byte) error {
	var e struct {
		Error struct {
			Code    tiny.ErrorCode `json:"code"`
			Message string         `json:"message"`
			Field   string         `json:"field"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error.Code != "" {
		return &tiny.Error{Code: e.Error.Code, Message: e.Error.Message, Field: e.Error.Field}
	}
	code := tiny.Internal
	for _, c := range tiny.ErrorCodes() {
		if tiny.HTTPStatus(c) == status {
			code = c
		}
	}
	if status == http.StatusBadGateway || status == http.StatusGatewayTimeout {
		code = tiny.Unavailable
	}
	return tiny.Errorf(code, "the server answered %d %s", status, http.StatusText(status))
}

// get calls GET path and decodes the answer into out; it returns the
// answer as received too, for --json.
func (c *client) get(ctx context.Context, path string, query url.Values, out any) ([]byte, error) {
	return c.do(ctx, http.MethodGet, path, query, nil, out)
}

// do calls the API and decodes a JSON answer into out, when not nil.
func (c *client) do(ctx context.Context, method, path string, query url.Values, body, out any) ([]byte, error) {
	b, err := c.call(ctx, method, path, query, body)
	if err != nil {
		return nil, err
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return nil, fmt.Errorf("the server's answer to %s %s is not what the API says: %w", method, path, err)
		}
	}
	return b, nil
}

// linkPath is the API path of a link by code or alias.
func linkPath(code string) string { return "/api/v1/links/" + url.PathEscape(code) }
