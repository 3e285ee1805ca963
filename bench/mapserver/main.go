// Command mapserver is the redirect baseline for the benchmarks in bench/: a
// bare server that answers GET and HEAD /{code} with 302 and the Location it
// finds in a read-only Go map, and 404 for any other code.
//
// It has two engines, chosen with -engine, that answer identically:
//
//   - net/http (the default): DESIGN.md §1 budgets tiny's redirect path at
//     "within 10% of a bare net/http handler that answers 302 from a Go map";
//     this is that handler. It is written the idiomatic way (Header().Set,
//     WriteHeader) and is deliberately not tuned further, so it measures what
//     net/http itself costs.
//   - fasthttp: the same handler on github.com/valyala/fasthttp, the engine
//     tiny's redirect fast path runs on. tiny against this one isolates the
//     cost of tiny's own work (cache, metrics, click capture) from the cost of
//     the HTTP engine. The server is configured like tiny's where that changes
//     the response bytes (a Server name, no default Content-Type) and is
//     otherwise left at fasthttp's defaults.
//
// The codes are generated deterministically from -seed: -codes N codes of
// seven base62 characters (the width of tiny's generated codes), where the
// i-th code (1-based) leads to https://example.com/i. The list is written to
// -codes-out as "code url" lines, which bench/codes.lua reads.
//
// With -fake-bulk-api the server also answers POST /api/v1/links/bulk the way
// tiny does, so bench/redirect.sh can be exercised end to end with mapserver
// standing in for tiny before tiny's server exists. The fake endpoint creates
// nothing: it looks each requested URL up in the fixed map and returns its
// code, and reports URLs outside the map as failed. The redirect handler never
// takes a lock, in either mode.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"

	"github.com/valyala/fasthttp"
)

const (
	codeLength     = 7
	base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	bulkPath       = "/api/v1/links/bulk"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		log.Fatalf("mapserver: %v", err)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("mapserver", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:18082", "listen address")
	n := fs.Int("codes", 1000, "number of codes in the map")
	seed := fs.Uint64("seed", 1, "seed for the generated codes")
	codesOut := fs.String("codes-out", "", `write "code url" lines to this file ("-" for stdout)`)
	fakeAPI := fs.Bool("fake-bulk-api", false, "also answer POST "+bulkPath+" (stand-in for tiny)")
	baseURL := fs.String("base-url", "", "base of short_url in fake API responses (default http://ADDR)")
	apiKey := fs.String("api-key", os.Getenv("TINY_INITIAL_API_KEY"), "bearer token the fake API requires (empty: any)")
	noServe := fs.Bool("no-serve", false, "write -codes-out and exit without serving")
	engine := fs.String("engine", "net/http", "HTTP engine: net/http or fasthttp")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 {
		return errors.New("-codes must be at least 1")
	}
	switch *engine {
	case "net/http", "nethttp":
		*engine = "net/http"
	case "fasthttp":
		if *fakeAPI {
			return errors.New("-fake-bulk-api needs -engine net/http")
		}
	default:
		return fmt.Errorf("-engine %q: want net/http or fasthttp", *engine)
	}

	codes, urls := generate(*n, *seed)
	if *codesOut != "" {
		if err := writeCodes(*codesOut, stdout, codes, urls); err != nil {
			return err
		}
	}
	if *noServe {
		return nil
	}

	redirects := make(map[string]string, len(codes))
	for i, c := range codes {
		redirects[c] = urls[i]
	}
	if *engine == "fasthttp" {
		log.Printf("mapserver: %d codes, listening on %s (engine fasthttp)", len(codes), *addr)
		return newFastServer(redirects).ListenAndServe(*addr)
	}
	var h http.Handler = redirectHandler(redirects)
	if *fakeAPI {
		if *baseURL == "" {
			*baseURL = "http://" + *addr
		}
		byURL := make(map[string]string, len(codes))
		for i, c := range codes {
			byURL[urls[i]] = c
		}
		h = withFakeBulkAPI(h, byURL, strings.TrimRight(*baseURL, "/"), *apiKey)
	}

	log.Printf("mapserver: %d codes, listening on %s (engine net/http, fake bulk API: %v)", len(codes), *addr, *fakeAPI)
	return http.ListenAndServe(*addr, h)
}

// generate returns n distinct codes and the URL each leads to.
func generate(n int, seed uint64) (codes, urls []string) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	seen := make(map[string]bool, n)
	var b [codeLength]byte
	for len(codes) < n {
		for i := range b {
			b[i] = base62Alphabet[r.IntN(len(base62Alphabet))]
		}
		c := string(b[:])
		if seen[c] {
			continue
		}
		seen[c] = true
		codes = append(codes, c)
		urls = append(urls, fmt.Sprintf("https://example.com/%d", len(codes)))
	}
	return codes, urls
}

func writeCodes(path string, stdout io.Writer, codes, urls []string) error {
	var w io.Writer = stdout
	var f *os.File
	if path != "-" {
		var err error
		if f, err = os.Create(path); err != nil {
			return err
		}
		w = f
	}
	bw := bufio.NewWriter(w)
	for i, c := range codes {
		fmt.Fprintf(bw, "%s %s\n", c, urls[i])
	}
	err := bw.Flush()
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// redirectHandler is the baseline: one map read, then 302 or 404. /readyz and
// /healthz answer 200 so the scripts can wait for the server the same way they
// wait for tiny; they are only checked after a map miss.
func redirectHandler(redirects map[string]string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		if u, ok := redirects[r.URL.Path[1:]]; ok {
			w.Header().Set("Location", u)
			w.WriteHeader(http.StatusFound)
			return
		}
		switch r.URL.Path {
		case "/readyz", "/healthz":
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusNotFound)
	}
}

// fastRedirectHandler is redirectHandler on fasthttp: the same statuses and
// headers for the same requests. The map is indexed with string(path), which
// the compiler does without allocating.
func fastRedirectHandler(redirects map[string]string) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		if !ctx.IsGet() && !ctx.IsHead() {
			ctx.Response.Header.Set("Allow", "GET, HEAD")
			ctx.SetStatusCode(fasthttp.StatusMethodNotAllowed)
			return
		}
		path := ctx.Path()
		if len(path) > 0 {
			if u, ok := redirects[string(path[1:])]; ok {
				ctx.Response.Header.Set("Location", u)
				ctx.SetStatusCode(fasthttp.StatusFound)
				return
			}
		}
		switch string(path) {
		case "/readyz", "/healthz":
			ctx.SetStatusCode(fasthttp.StatusOK)
			return
		}
		ctx.SetStatusCode(fasthttp.StatusNotFound)
	}
}

// newFastServer is the fasthttp server around fastRedirectHandler, set up
// like tiny's (internal/web/server.go) where it changes the response bytes.
func newFastServer(redirects map[string]string) *fasthttp.Server {
	return &fasthttp.Server{
		Handler:               fastRedirectHandler(redirects),
		Name:                  "mapserver",
		NoDefaultServerHeader: true,
		NoDefaultContentType:  true,
	}
}

type bulkRequest struct {
	Links []struct {
		URL string `json:"url"`
	} `json:"links"`
}

type bulkResult struct {
	Index int       `json:"index"`
	Link  *bulkLink `json:"link,omitempty"`
	Error *apiError `json:"error,omitempty"`
}

type bulkLink struct {
	Code     string `json:"code"`
	ShortURL string `json:"short_url"`
	URL      string `json:"url"`
}

type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// withFakeBulkAPI answers POST /api/v1/links/bulk in tiny's response shape
// from the fixed URL→code map and passes every other request to next.
func withFakeBulkAPI(next http.Handler, byURL map[string]string, baseURL, apiKey string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != bulkPath {
			next.ServeHTTP(w, r)
			return
		}
		writeJSON := func(status int, v any) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(v)
		}
		type errBody struct {
			Error apiError `json:"error"`
		}
		if r.Method != http.MethodPost {
			writeJSON(http.StatusMethodNotAllowed, errBody{apiError{"invalid", "use POST"}})
			return
		}
		if got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); !ok || (apiKey != "" && got != apiKey) {
			writeJSON(http.StatusUnauthorized, errBody{apiError{"unauthorized", "missing or wrong API key"}})
			return
		}
		var req bulkRequest
		if err := json.NewDecoder(io.LimitReader(r.Body, 16<<20)).Decode(&req); err != nil {
			writeJSON(http.StatusBadRequest, errBody{apiError{"invalid", "body is not valid JSON"}})
			return
		}
		resp := struct {
			Created int          `json:"created"`
			Failed  int          `json:"failed"`
			Results []bulkResult `json:"results"`
		}{Results: make([]bulkResult, 0, len(req.Links))}
		for i, l := range req.Links {
			if c, ok := byURL[l.URL]; ok {
				resp.Created++
				resp.Results = append(resp.Results, bulkResult{Index: i, Link: &bulkLink{Code: c, ShortURL: baseURL + "/" + c, URL: l.URL}})
				continue
			}
			resp.Failed++
			resp.Results = append(resp.Results, bulkResult{Index: i, Error: &apiError{"invalid", "fake API only knows https://example.com/1..N"}})
		}
		writeJSON(http.StatusOK, resp)
	})
}
