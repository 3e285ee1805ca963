package follow

import (
	"context"
	"fmt"
	"math"
	"strings"

	"tiny/internal/abuse"
	"tiny/internal/tiny"
)

// Page signals move the landing URL's score on the logit scale, as the
// creator's history does at create time. The weights are set by hand so
// that one signal alone leaves a clean URL active and a brand login form
// on a foreign domain always reaches review; page signals never block on
// their own (docs/safety.md says why).
const (
	weightPassword    = 1.0
	weightForeignForm = 1.0
	weightBrand       = 1.5
	weightObfuscated  = 1.5
	weightRefresh     = 0.5
)

// signal is one page signal that fired.
type signal struct {
	name   string
	weight float64
}

// signals returns what fired on the landing page of ch.
func signals(ch *Chain) []signal {
	var out []signal
	p := ch.Page
	if p == nil {
		return nil
	}
	if p.PasswordField && p.Brand != "" {
		out = append(out, signal{"a password form under the name of " + p.Brand + " on a domain that is not its", 0})
	}
	if p.PasswordField {
		out = append(out, signal{"password field", weightPassword})
	}
	if p.ForeignForm != "" {
		out = append(out, signal{"form posts to " + p.ForeignForm, weightForeignForm})
	}
	if p.Brand != "" {
		out = append(out, signal{"brand " + p.Brand + " named on a domain that is not its", weightBrand})
	}
	if p.ObfuscatedScript {
		out = append(out, signal{"obfuscated script", weightObfuscated})
	}
	for _, h := range ch.Hops {
		if h.Via == "meta refresh" {
			out = append(out, signal{"reached by a meta refresh", weightRefresh})
			break
		}
	}
	return out
}

// Verdict is what the follower found about a destination.
type Verdict struct {
	Status tiny.LinkStatus // active: nothing to do
	Score  float64
	Reason string // for the audit log: names the hop or the page and why
}

// judge scores every hop of ch with the full check and the landing page
// with its signals. A blocked hop blocks; a chain that had to be followed
// and could not be goes to review; so does a landing page whose signals
// lift its score over the review threshold, or a hop the check flags.
func judge(ctx context.Context, c *abuse.Checker, ch *Chain, mustResolve bool) (Verdict, error) {
	block, review := c.Thresholds()
	var flagged *Verdict
	var final abuse.Verdict
	for i, h := range ch.Hops {
		if ch.Err != nil && i == len(ch.Hops)-1 {
			if _, ok := refused(ch.Err); ok {
				break // a private address is never scored as a destination
			}
		}
		u := h.URL
		if n, err := (tiny.URLPolicy{}).NormalizeURL(u); err == nil {
			u = n // as a create would have stored it
		}
		v, err := c.Check(ctx, nil, u)
		if err != nil {
			return Verdict{}, err
		}
		final = v
		where := hopName(ch, i)
		switch v.Status {
		case tiny.StatusBlocked:
			return Verdict{Status: tiny.StatusBlocked, Score: v.Score, Reason: where + ": " + v.Reason}, nil
		case tiny.StatusFlagged:
			if i > 0 && flagged == nil {
				flagged = &Verdict{Status: tiny.StatusFlagged, Score: v.Score, Reason: where + ": " + v.Reason}
			}
		}
	}
	if ch.Err != nil && (mustResolve || ch.Redirected()) {
		return Verdict{Status: tiny.StatusFlagged, Score: review,
			Reason: fmt.Sprintf("the destination's redirect chain could not be followed: %s: %v", hopName(ch, len(ch.Hops)-1), ch.Err)}, nil
	}
	// The operator's allowlist outranks what a page shows, as it outranks
	// the URL model (abuse.Checker.Check names it first in the reason).
	allowed := strings.HasPrefix(final.Reason, "allowlist ")
	if ch.Err == nil && ch.Page != nil && !allowed {
		if v := pageVerdict(ch, final.Score, block, review); v.Status != tiny.StatusActive {
			return v, nil
		}
	}
	if flagged != nil {
		return *flagged, nil
	}
	return Verdict{Status: tiny.StatusActive}, nil
}

// pageVerdict moves the landing URL's score by the page's signals. A
// password form under a brand's name on another domain reaches review
// whatever the URL's score; nothing here reaches block.
func pageVerdict(ch *Chain, urlScore, block, review float64) Verdict {
	sigs := signals(ch)
	if len(sigs) == 0 {
		return Verdict{Status: tiny.StatusActive}
	}
	var shift float64
	names := make([]string, len(sigs))
	brandLogin := false
	for i, s := range sigs {
		shift += s.weight
		names[i] = s.name
		brandLogin = brandLogin || s.weight == 0
	}
	score := shiftLogit(urlScore, shift)
	if brandLogin {
		score = max(score, review)
	}
	score = min(score, math.Nextafter(block, 0)) // the page alone never blocks
	if score < review {
		return Verdict{Status: tiny.StatusActive, Score: score}
	}
	return Verdict{Status: tiny.StatusFlagged, Score: score,
		Reason: "landing page " + ch.Final() + ": " + strings.Join(names, "; ")}
}

// hopName names hop i for a reason: the destination itself, or its place
// in the chain and its URL.
func hopName(ch *Chain, i int) string {
	if i == 0 {
		return "destination " + ch.Hops[0].URL
	}
	return fmt.Sprintf("hop %d of the redirect chain (%s %s)", i, ch.Hops[i].Via, ch.Hops[i].URL)
}

// shiftLogit moves probability p by shift on the logit scale.
func shiftLogit(p, shift float64) float64 {
	p = min(max(p, 1e-9), 1-1e-9)
	return 1 / (1 + math.Exp(-(math.Log(p/(1-p)) + shift)))
}
