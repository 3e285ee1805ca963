package follow

import (
	"testing"

	"tiny/internal/tiny"
)

// BenchmarkEnqueue is what the create path pays for following: the
// decision whether a destination is worth following (a plain one is not,
// with chains on and page scans off) and, for a shortener, a send on the
// queue (drained here by a worker that does nothing).
func BenchmarkEnqueue(b *testing.B) {
	f := New(Config{ResolveChains: true, Redirectors: NewRedirectors([]string{"go.example.net"}), QueueSize: 1 << 16})
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-f.queue:
			case <-done:
				return
			}
		}
	}()
	defer close(done)
	for _, bb := range []struct{ name, url string }{
		{"plain", "https://www.example.com/handbook/chapter-2?ref=mail"},
		{"shortener", "https://bit.ly/3xYzAbC"},
		{"operator-redirector", "http://links.go.example.net/abc"},
	} {
		b.Run(bb.name, func(b *testing.B) {
			l := &tiny.Link{ID: 1, URL: bb.url}
			b.ReportAllocs()
			for b.Loop() {
				f.Enqueue(l)
			}
		})
	}
}
