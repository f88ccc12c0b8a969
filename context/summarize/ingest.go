package summarize

import (
	"context"
	"fmt"
	"strings"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/tokens"
)

// DefaultIngestInstructions is the system prompt Ingest gives the
// summarizer, in the spirit of Open Deep Research's web-page summarization
// prompt.
const DefaultIngestInstructions = `You condense one tool result, usually a fetched web page or document, for a research agent that will read your version instead of the original. Keep what a researcher would cite: the main findings and claims, statistics, numbers, dates, names, definitions, and a few short verbatim quotes of the most important statements, each as it appears in the source. Keep the title, author, publication date and URLs when present. Drop navigation, boilerplate, advertisements and repetition. Do not add facts or opinions of your own. Write dense bullet points, no preamble.`

// Ingest condenses a tool result that is longer than maxTokens (counted
// with tok; nil means o200k_base) with s, before it enters a transcript,
// as Open Deep Research does with every fetched page. A result that fits
// is returned as it is. The condensed result keeps CallID, Name and
// IsError, and its content opens with a line saying it is a summary and of
// how many tokens; it never exceeds maxTokens (a summarizer that overshoots
// is cut). The summarizer sees the result as a tool message, so Extractive
// tags its sentences with the tool and call ID. On error the result is
// returned unchanged with the error.
func Ingest(ctx context.Context, s Summarizer, result llm.ToolResult, maxTokens int, tok *tokens.Tokenizer) (llm.ToolResult, error) {
	return IngestFor(ctx, s, result, "", maxTokens, tok)
}

// IngestFor is Ingest with a focus, usually the research question the
// result was fetched for: a Model summarizer is told it, and Extractive
// ranks the sentences about it higher (see Request.Focus).
func IngestFor(ctx context.Context, s Summarizer, result llm.ToolResult, focus string, maxTokens int, tok *tokens.Tokenizer) (llm.ToolResult, error) {
	var counter tokens.Counter = defaultCounter()
	if tok != nil {
		counter = tok
	}
	n := counter.Count(result.Content)
	if n <= maxTokens {
		return result, nil
	}
	header := fmt.Sprintf("[Condensed from %d tokens by the context manager; the figures and quotes below are the source's.]\n", n)
	budget := maxTokens - counter.Count(header) - 1
	if budget < 1 {
		return result, fmt.Errorf("summarize: ingest: %d tokens leave no room for a summary", maxTokens)
	}
	msg := llm.Tool(result)
	msg.ID = contentID("ingest", result.CallID+"\x00"+result.Content)
	text, err := s.Summarize(ctx, Request{
		Messages:     []llm.Message{msg},
		Focus:        focus,
		Instructions: DefaultIngestInstructions,
		MaxTokens:    budget,
		Counter:      counter,
	})
	if err != nil {
		return result, fmt.Errorf("summarize: ingest: %w", err)
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return result, fmt.Errorf("summarize: ingest: %w", ErrEmptySummary)
	}
	out := result
	out.Content = truncateTokens(header+text, maxTokens, counter)
	return out, nil
}

// truncateTokens returns the longest prefix of s, cut at a rune boundary,
// with at most limit tokens.
func truncateTokens(s string, limit int, counter tokens.Counter) string {
	if counter.Count(s) <= limit {
		return s
	}
	lo, hi := 0, len(s) // the longest fitting prefix length is in [lo, hi)
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		for mid > lo && !isRuneStart(s[mid]) {
			mid--
		}
		if mid == lo {
			break
		}
		if counter.Count(s[:mid]) <= limit {
			lo = mid
		} else {
			hi = mid
		}
	}
	return s[:lo]
}
