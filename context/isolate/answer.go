package isolate

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/tokens"
)

// compressPrompt instructs the compressor; %d is the return budget.
const compressPrompt = "You compress a research sub-agent's answer for the lead agent that delegated the brief. " +
	"Keep every finding, figure, name, date, source URL and artifact handle; drop repetition, narration and hedging. " +
	"Reply with the compressed answer only, in at most %d tokens."

// fit sets the result's answer: answer itself when it fits ReturnBudget,
// else a compressed version, else a truncated one.
func (r *runner) fit(ctx context.Context, brief, answer string) error {
	tok, budget := r.cfg.Tokenizer, r.cfg.ReturnBudget
	n := tok.Count(answer)
	if n > budget && !r.cfg.NoCompress {
		short, err := r.compress(ctx, brief, answer)
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("isolate: compress the answer: %w", ctxErr)
		}
		switch m := tok.Count(short); {
		case err != nil:
			r.res.CompressError = err
		case strings.TrimSpace(short) == "":
			r.res.CompressError = fmt.Errorf("isolate: compress the answer: the compressor returned no text")
		case m >= n:
			r.res.CompressError = fmt.Errorf("isolate: compress the answer: %d tokens compressed to %d", n, m)
		default:
			// Denser than the original: keep it, truncated if still too long.
			answer, n, r.res.Compressed = short, m, true
		}
	}
	if n > budget {
		answer = Truncate(tok, answer, budget)
		n = tok.Count(answer)
		r.res.Truncated = true
	}
	r.res.Answer, r.res.AnswerTokens = answer, n
	return nil
}

// compress asks the compressor for a shorter answer.
func (r *runner) compress(ctx context.Context, brief, answer string) (string, error) {
	start := time.Now()
	resp, err := r.cfg.Compressor.Generate(ctx, llm.Request{
		Role: llm.CallCompressor,
		Messages: []llm.Message{
			llm.System(fmt.Sprintf(compressPrompt, r.cfg.ReturnBudget)),
			llm.User("Brief:\n" + brief + "\n\nAnswer to compress:\n" + answer),
		},
		MaxTokens: r.cfg.ReturnBudget,
	})
	r.res.ModelCalls++
	r.res.Usage = r.res.Usage.Add(resp.Usage)
	r.observe(Step{
		Kind: StepModelCall, Turn: r.res.ModelCalls, Role: llm.CallCompressor,
		Usage: resp.Usage, Model: resp.Model, FinishReason: resp.FinishReason,
		Start: start, End: time.Now(), Err: err,
	})
	if err != nil {
		return "", fmt.Errorf("isolate: compress the answer: %w", err)
	}
	return strings.TrimSpace(resp.Message.Text()), nil
}

// TruncationMarker ends an answer Truncate cut; %d is the budget.
const TruncationMarker = "\n[… answer truncated to %d tokens]"

// Truncate returns text if it holds at most budget tokens, else its longest
// prefix that, cut at a word boundary where one is near and followed by
// TruncationMarker, holds at most budget tokens. Counts are tok.Count's.
func Truncate(tok *tokens.Tokenizer, text string, budget int) string {
	if tok.Count(text) <= budget {
		return text
	}
	marker := fmt.Sprintf(TruncationMarker, budget)
	room := budget - tok.Count(marker)
	if room <= 0 {
		marker, room = "", budget
	}
	// The longest rune-aligned prefix within room, by binary search over
	// rune boundaries (a prefix's count grows with its length).
	bounds := make([]int, 0, len(text)+1)
	for i := range text {
		bounds = append(bounds, i)
	}
	bounds = append(bounds, len(text))
	lo, hi := 0, len(bounds)-1 // bounds[lo] fits; bounds[hi+1:] do not
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if tok.Count(text[:bounds[mid]]) <= room {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	cut := bounds[lo]
	// Prefer ending on a word boundary when one is in the last tenth.
	if i := strings.LastIndexFunc(text[:cut], unicode.IsSpace); i > 0 && i >= cut-cut/10 {
		cut = i
	}
	out := strings.TrimRightFunc(text[:cut], unicode.IsSpace) + marker
	for tok.Count(out) > budget && cut > 0 {
		// Merges across the cut can add a token; back off a rune at a time.
		_, size := utf8.DecodeLastRuneInString(text[:cut])
		cut -= size
		out = strings.TrimRightFunc(text[:cut], unicode.IsSpace) + marker
	}
	if tok.Count(out) > budget {
		return ""
	}
	return out
}
