package verify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// Resolver resolves a cited passage against the corpus.
type Resolver interface {
	// Passage returns the text of passage chunk (0-based) of document
	// docID. An error means the passage does not exist (or cannot be
	// read): citations of it are invalid.
	Passage(ctx context.Context, docID string, chunk int) (string, error)
}

// ResolverFunc adapts a function to a Resolver.
type ResolverFunc func(ctx context.Context, docID string, chunk int) (string, error)

// Passage calls f.
func (f ResolverFunc) Passage(ctx context.Context, docID string, chunk int) (string, error) {
	return f(ctx, docID, chunk)
}

// Citation is what a report's "[n]" points to: a passage of the corpus,
// as a report's sources list (sources.json) records it.
type Citation struct {
	// N is the citation number, from 1.
	N int `json:"n"`
	// DocID and Chunk name the passage: a document of the corpus and the
	// passage's position in it (0-based).
	DocID string `json:"doc_id"`
	Chunk int    `json:"chunk"`
}

// Support is a Supporter's verdict on one claim and one passage.
type Support struct {
	// Supported says whether the passage supports the claim.
	Supported bool `json:"supported"`
	// Score is the supporter's confidence that it does, in [0, 1]; a
	// model supporter gives 0 or 1.
	Score float64 `json:"score"`
	// Reason says why, for people reading a verdict.
	Reason string `json:"reason,omitempty"`
}

// Supporter decides whether a passage supports a claim.
//
// Implementations must be safe for concurrent use: Check judges several
// pairs at once (CheckOptions.Parallel). An error means no
// verdict could be reached (a model that failed or kept replying
// nonsense); it is never a way of saying "unsupported".
type Supporter interface {
	Supports(ctx context.Context, claim, passage string) (Support, error)
}

// SupporterFunc adapts a function to a Supporter.
type SupporterFunc func(ctx context.Context, claim, passage string) (Support, error)

// Supports calls f.
func (f SupporterFunc) Supports(ctx context.Context, claim, passage string) (Support, error) {
	return f(ctx, claim, passage)
}

// Status is the verdict on one claim–citation pair.
type Status string

// The statuses of a claim–citation pair.
const (
	// StatusSupported: the cited passage exists and supports the claim.
	StatusSupported Status = "supported"
	// StatusUnsupported: the cited passage exists but does not support
	// the claim.
	StatusUnsupported Status = "unsupported"
	// StatusInvalid: the citation names no source of the report, or its
	// passage does not resolve in the corpus (or is empty).
	StatusInvalid Status = "invalid"
)

// Verdict is the verdict on one citation of a claim.
type Verdict struct {
	// N is the citation number [n].
	N int `json:"n"`
	// DocID and Chunk name the cited passage; empty when N is not one of
	// the report's sources.
	DocID string `json:"doc_id,omitempty"`
	Chunk int    `json:"chunk"`
	// Status is the verdict, Score the supporter's score (0 for invalid
	// citations) and Reason why.
	Status Status  `json:"status"`
	Score  float64 `json:"score"`
	Reason string  `json:"reason,omitempty"`
}

// ClaimVerdict is one claim and the verdicts on its citations, one per
// citation number in Claim.Cites order. An uncited claim has none.
type ClaimVerdict struct {
	Claim    Claim     `json:"claim"`
	Verdicts []Verdict `json:"verdicts,omitempty"`
}

// Result is a report's claim-level citation check. It round-trips through
// encoding/json; everything the methods compute is derived from its
// fields.
type Result struct {
	// Claims are the report's claims in order, with their verdicts;
	// len(Claims) is the number of claims.
	Claims []ClaimVerdict `json:"claims"`
	// Supported, Unsupported and Invalid count claim–citation pairs by
	// status. Uncited counts claims without any citation.
	Supported   int `json:"supported"`
	Unsupported int `json:"unsupported"`
	Invalid     int `json:"invalid"`
	Uncited     int `json:"uncited"`
}

// CitationAccuracy is FACT's citation accuracy: the share of valid
// claim–citation pairs whose passage supports the claim,
// Supported / (Supported + Unsupported). Invalid citations are not in it
// (count them apart). ok is false when there is no valid pair.
func (r Result) CitationAccuracy() (accuracy float64, ok bool) {
	return accuracy2(r.Supported, r.Unsupported)
}

func accuracy2(sup, unsup int) (float64, bool) {
	if sup+unsup == 0 {
		return 0, false
	}
	return float64(sup) / float64(sup+unsup), true
}

// EffectiveCitations is FACT's effective citations: the number of
// distinct (claim, passage) pairs whose passage supports the claim. A
// claim repeated word for word, or one passage cited twice under two
// numbers for the same claim, counts once. FACT (DeepResearch Bench,
// 2025) averages it over a benchmark's tasks; here it is one report's.
func (r Result) EffectiveCitations() int {
	seen := map[pairKey]bool{}
	for _, c := range r.Claims {
		norm := normClaim(c.Claim.Text)
		for _, v := range c.Verdicts {
			if v.Status == StatusSupported {
				seen[pairKey{norm, passageKey{v.DocID, v.Chunk}}] = true
			}
		}
	}
	return len(seen)
}

// Summary is the compact form of a Result kept where space matters (a
// research draft, a checkpoint): the counts, the texts of the claims to
// fix, and the bad citations of claims otherwise supported. It round-trips through encoding/json and its JSON field names
// are stable.
type Summary struct {
	// Claims counts the report's claims; Supported, Unsupported and
	// Invalid its claim–citation pairs by status; Uncited its claims
	// without a citation; Effective its effective citations (see
	// Result.EffectiveCitations).
	Claims      int `json:"claims"`
	Supported   int `json:"supported"`
	Unsupported int `json:"unsupported"`
	Invalid     int `json:"invalid"`
	Uncited     int `json:"uncited"`
	Effective   int `json:"effective"`
	// UnsupportedClaims are the texts of the claims that cite at least
	// one passage that exists but none that supports them.
	UnsupportedClaims []string `json:"unsupported_claims,omitempty"`
	// InvalidClaims are the texts of the claims all of whose citations
	// are invalid.
	InvalidClaims []string `json:"invalid_claims,omitempty"`
	// BadCitations are the invalid and unsupported citations of the
	// claims that some other citation supports, one per verdict in
	// report order: such a claim is in neither list above, but these
	// citations of it still have to be fixed or dropped. (A claim no
	// citation supports is listed whole above, and its citations are not
	// repeated here.)
	BadCitations []BadCitation `json:"bad_citations,omitempty"`
}

// BadCitation is one invalid or unsupported citation of a claim that
// another of its citations supports.
type BadCitation struct {
	// N is the citation number [n]; DocID and Chunk name the cited
	// passage, DocID empty when N is not one of the report's sources.
	N     int    `json:"n"`
	DocID string `json:"doc_id,omitempty"`
	Chunk int    `json:"chunk"`
	// Status is StatusInvalid or StatusUnsupported.
	Status Status `json:"status"`
	// Claim is the claim's text.
	Claim string `json:"claim"`
}

// CitationAccuracy is Supported / (Supported + Unsupported), as
// Result.CitationAccuracy; ok is false when there is no valid pair.
func (s Summary) CitationAccuracy() (accuracy float64, ok bool) {
	return accuracy2(s.Supported, s.Unsupported)
}

// Summary returns r's compact form.
func (r Result) Summary() Summary {
	s := Summary{
		Claims: len(r.Claims), Supported: r.Supported, Unsupported: r.Unsupported,
		Invalid: r.Invalid, Uncited: r.Uncited, Effective: r.EffectiveCitations(),
	}
	for _, c := range r.Claims {
		if len(c.Verdicts) == 0 {
			continue
		}
		var sup, unsup int
		for _, v := range c.Verdicts {
			switch v.Status {
			case StatusSupported:
				sup++
			case StatusUnsupported:
				unsup++
			}
		}
		switch {
		case sup > 0:
			for _, v := range c.Verdicts {
				if v.Status == StatusInvalid || v.Status == StatusUnsupported {
					s.BadCitations = append(s.BadCitations, BadCitation{
						N: v.N, DocID: v.DocID, Chunk: v.Chunk, Status: v.Status, Claim: c.Claim.Text,
					})
				}
			}
		case unsup > 0:
			s.UnsupportedClaims = append(s.UnsupportedClaims, c.Claim.Text)
		default:
			s.InvalidClaims = append(s.InvalidClaims, c.Claim.Text)
		}
	}
	return s
}

// ErrNoResolver is returned by Check when it is given no Resolver.
var ErrNoResolver = errors.New("verify: no resolver: citations cannot be checked against the corpus")

type passageKey struct {
	doc   string
	chunk int
}

type pairKey struct {
	claim string
	p     passageKey
}

type resolved struct {
	text string
	err  error
}

// DefaultParallel is how many (claim, passage) pairs Check has the
// Supporter judge at once.
const DefaultParallel = 4

// CheckOptions tunes CheckWith.
type CheckOptions struct {
	// Parallel bounds how many distinct (claim, passage) pairs the
	// Supporter judges at once. Optional. Zero or negative means
	// DefaultParallel; 1 judges them one at a time, in report order.
	Parallel int
}

// Check verifies a finished report's citations claim by claim (see
// Claims): for each claim and each of its citation numbers, a number that
// is not in cites, or whose passage does not resolve (or is empty), is
// invalid; otherwise sup decides whether the passage supports the claim.
// A claim without citations is uncited. Each distinct passage is resolved
// once, and each distinct (claim, passage) pair judged once.
//
// Check is CheckWith with the default options: up to DefaultParallel
// pairs are judged at once, so sup must be safe for concurrent use (as
// Supporter requires).
//
// sup nil means Lexical{}. Check fails when resolve is nil, when ctx is
// done, or when sup fails; a resolver's error only makes a citation
// invalid.
func Check(ctx context.Context, report string, cites []Citation, resolve Resolver, sup Supporter) (Result, error) {
	return CheckWith(ctx, report, cites, resolve, sup, CheckOptions{})
}

// CheckWith is Check with options. Passages are resolved one at a time,
// in report order; then the distinct (claim, passage) pairs are judged by
// up to opts.Parallel concurrent calls of sup. The Result does not depend
// on the order the calls finish in. The first call to fail cancels the
// context of the others, no further pair is started, and CheckWith
// returns that error.
func CheckWith(ctx context.Context, report string, cites []Citation, resolve Resolver, sup Supporter, opts CheckOptions) (Result, error) {
	if resolve == nil {
		return Result{}, ErrNoResolver
	}
	if sup == nil {
		sup = Lexical{}
	}
	byN := make(map[int]Citation, len(cites))
	for _, c := range cites {
		if _, dup := byN[c.N]; !dup {
			byN[c.N] = c
		}
	}

	// First pass: every verdict but the Supporter's, and the distinct
	// pairs to judge, in the order they first appear.
	type pending struct{ claim, verdict, pair int }
	var (
		passages = map[passageKey]resolved{}
		pairOf   = map[pairKey]int{}
		pairs    []pairJob
		waiting  []pending
	)
	claims := Claims(report)
	res := Result{Claims: make([]ClaimVerdict, 0, len(claims))}
	for _, cl := range claims {
		if err := ctx.Err(); err != nil {
			return Result{}, fmt.Errorf("verify: %w", err)
		}
		cv := ClaimVerdict{Claim: cl}
		if len(cl.Cites) == 0 {
			res.Uncited++
		}
		for _, n := range cl.Cites {
			v := Verdict{N: n}
			c, ok := byN[n]
			if !ok {
				v.Status, v.Reason = StatusInvalid, fmt.Sprintf("[%d] is not one of the report's %d sources", n, len(cites))
				res.Invalid++
				cv.Verdicts = append(cv.Verdicts, v)
				continue
			}
			v.DocID, v.Chunk = c.DocID, c.Chunk
			pk := passageKey{c.DocID, c.Chunk}
			p, ok := passages[pk]
			if !ok {
				p.text, p.err = resolve.Passage(ctx, c.DocID, c.Chunk)
				if err := ctx.Err(); err != nil {
					return Result{}, fmt.Errorf("verify: %w", err)
				}
				passages[pk] = p
			}
			switch {
			case p.err != nil:
				v.Status, v.Reason = StatusInvalid, fmt.Sprintf("passage %s#%d does not resolve: %v", c.DocID, c.Chunk, p.err)
			case strings.TrimSpace(p.text) == "":
				v.Status, v.Reason = StatusInvalid, fmt.Sprintf("passage %s#%d is empty", c.DocID, c.Chunk)
			}
			if v.Status == StatusInvalid {
				res.Invalid++
				cv.Verdicts = append(cv.Verdicts, v)
				continue
			}
			key := pairKey{normClaim(cl.Text), pk}
			i, ok := pairOf[key]
			if !ok {
				i = len(pairs)
				pairOf[key] = i
				pairs = append(pairs, pairJob{claim: cl.Text, passage: p.text, n: n})
			}
			waiting = append(waiting, pending{claim: len(res.Claims), verdict: len(cv.Verdicts), pair: i})
			cv.Verdicts = append(cv.Verdicts, v)
		}
		res.Claims = append(res.Claims, cv)
	}

	// Second pass: judge the pairs, then fill in their verdicts in report
	// order.
	if err := judgePairs(ctx, sup, pairs, opts.Parallel); err != nil {
		return Result{}, err
	}
	for _, w := range waiting {
		s := pairs[w.pair].support
		v := &res.Claims[w.claim].Verdicts[w.verdict]
		v.Score, v.Reason = s.Score, s.Reason
		if s.Supported {
			v.Status = StatusSupported
			res.Supported++
		} else {
			v.Status = StatusUnsupported
			res.Unsupported++
		}
	}
	return res, nil
}

// pairJob is a distinct (claim, passage) pair to judge: the claim as it
// first appears, the passage's text, the citation number it was first
// cited under (for errors), and the verdict once judged.
type pairJob struct {
	claim, passage string
	n              int
	support        Support
}

// judgePairs has sup judge every pair, up to parallel at once (see
// CheckOptions.Parallel), writing each verdict into its pair. The first
// failure cancels the others' context, stops new pairs from starting and
// is returned.
func judgePairs(ctx context.Context, sup Supporter, pairs []pairJob, parallel int) error {
	if parallel <= 0 {
		parallel = DefaultParallel
	}
	parallel = min(parallel, len(pairs))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next, judged atomic.Int64
		once         sync.Once
		first        error
		wg           sync.WaitGroup
	)
	work := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= len(pairs) || ctx.Err() != nil {
				return
			}
			if err := judgePair(ctx, sup, &pairs[i]); err != nil {
				once.Do(func() {
					first = err
					cancel()
				})
				return
			}
			judged.Add(1)
		}
	}
	if parallel == 1 {
		work()
	} else {
		for range parallel {
			wg.Go(work)
		}
		wg.Wait()
	}
	if first != nil {
		return first
	}
	if judged.Load() < int64(len(pairs)) {
		// Pairs left unjudged: ctx was done before they started.
		return fmt.Errorf("verify: %w", ctx.Err())
	}
	return nil
}

// judgePair has sup judge one pair, turning a panic into an error: a
// misbehaving supporter must not take down the process from a worker
// goroutine.
func judgePair(ctx context.Context, sup Supporter, p *pairJob) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("verify: claim %q, citation [%d]: supporter panicked: %v", shorten(p.claim, 80), p.n, r)
		}
	}()
	s, err := sup.Supports(ctx, p.claim, p.passage)
	if err != nil {
		return fmt.Errorf("verify: claim %q, citation [%d]: %w", shorten(p.claim, 80), p.n, err)
	}
	p.support = s
	return nil
}

// normClaim is the form claims are compared in: lowercased, whitespace
// collapsed.
func normClaim(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// shorten cuts s to at most n bytes at a word boundary, adding "…".
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n], ' ')
	if cut < n/2 {
		for cut = n; cut > 0 && !utf8.RuneStart(s[cut]); cut-- {
		}
	}
	return s[:cut] + "…"
}
