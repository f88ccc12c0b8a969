package offload

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/tokens"
	"github.com/deepctx/deepctx/context/window"
)

// Name is the policy's name in edits and reports.
const Name = "offload"

// Defaults of Config.
const (
	// DefaultMaxInlineTokens is the largest tool message kept inline.
	DefaultMaxInlineTokens = 2000
	// DefaultPreviewTokens is the size of the preview left in the view.
	DefaultPreviewTokens = 200
)

// Config configures the offload policy. The zero value uses the defaults.
type Config struct {
	// MaxInlineTokens is the largest tool message, in tokens as the
	// pass counts it (content plus a few tokens of framing), that stays
	// in the view as it is. Optional. Defaults to DefaultMaxInlineTokens.
	MaxInlineTokens int
	// PreviewTokens is the size of the head of an offloaded result left
	// in the view, cut at a line boundary where there is one. Optional.
	// Defaults to DefaultPreviewTokens; a negative value leaves no
	// preview, only the handle. It is capped at half of MaxInlineTokens.
	PreviewTokens int
	// ExcludeTools names tools whose results are never offloaded, such as
	// read_artifact itself or a tool whose output must stay verbatim.
	// Optional. Defaults to none. The policy's own tools are never
	// offloaded either way: reading an artifact back must not offload it
	// again.
	ExcludeTools []string
}

// Policy offloads large tool results to a Store: each tool message over
// MaxInlineTokens is stored as an artifact and replaced in the view by a
// tool message with the same call ID and name holding a preview of the
// content and a footer naming the handle and how to get the rest back
// (read_artifact, search_artifacts). The compression is restorable: the
// artifact holds the content byte for byte.
//
// It implements window.Policy. Offloading is about the size of a single
// message, not the budget: it runs on every Apply, whatever the view's
// size. It is deterministic and idempotent: the same content gives the
// same handle and the same replacement, and a message already edited is
// left alone. All offloads of one Apply are recorded as one replace edit.
type Policy struct {
	store   *Store
	max     int
	preview int
	exclude map[string]bool
}

var _ window.Policy = (*Policy)(nil)

// New returns the offload policy storing artifacts in store.
func New(store *Store, cfg Config) *Policy {
	p := &Policy{store: store, max: cfg.MaxInlineTokens, preview: cfg.PreviewTokens, exclude: map[string]bool{
		ReadToolName: true, SearchToolName: true,
	}}
	if p.max <= 0 {
		p.max = DefaultMaxInlineTokens
	}
	switch {
	case p.preview == 0:
		p.preview = DefaultPreviewTokens
	case p.preview < 0:
		p.preview = 0
	}
	p.preview = min(p.preview, p.max/2)
	for _, name := range cfg.ExcludeTools {
		p.exclude[name] = true
	}
	return p
}

// Name returns "offload".
func (p *Policy) Name() string { return Name }

// Apply offloads every tool message of the view that is over
// MaxInlineTokens, is a message of the log not yet edited, is not
// protected (pinned), carries no artifact handle already (Meta.Artifact)
// and answers no excluded tool. The edit records the
// artifacts' handles in Edit.Artifacts, and each replacement in its
// Meta.Artifact. A failure to
// store one result is reported after the others are recorded.
//
// The replacement of message id is window.DerivedID(id, seq) where seq is
// the Seq its edit gets; the Pass must not be shared while Apply runs.
func (p *Policy) Apply(ctx context.Context, pass *window.Pass) error {
	if p.store == nil {
		return errors.New("offload: policy has no store")
	}
	t := pass.Transcript()
	seq := len(t.Edits()) + 1
	names := callNames(pass.View())
	var (
		edit = window.Edit{Kind: window.EditReplace, Policy: Name}
		errs []error
		arts []string
	)
	for _, m := range pass.View() {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		if !p.candidate(t, m, names) || pass.Count(m) <= p.max {
			continue
		}
		repl, handles, err := p.offload(ctx, pass, m, names, window.DerivedID(m.ID, seq))
		if err != nil {
			errs = append(errs, err)
		}
		if len(handles) == 0 {
			continue
		}
		freed := pass.Count(m) - pass.Count(repl)
		if freed <= 0 {
			continue
		}
		edit.Targets = append(edit.Targets, m.ID)
		edit.Replacement = append(edit.Replacement, repl)
		edit.TokensFreed += freed
		arts = append(arts, handles...)
	}
	if len(edit.Targets) > 0 {
		edit.Artifacts = arts
		if _, err := pass.Record(edit); err != nil {
			errs = append(errs, fmt.Errorf("offload: record: %w", err))
		}
	}
	return errors.Join(errs...)
}

// candidate reports whether m may be offloaded at all.
func (p *Policy) candidate(t *window.Transcript, m llm.Message, names map[string]string) bool {
	if m.Role != llm.RoleTool || window.Protected(m) || m.Meta.Artifact != "" {
		return false
	}
	if _, inLog := t.Message(m.ID); !inLog || t.Edited(m.ID) {
		return false // a replacement, or a message another edit decided on
	}
	results := m.ToolResults()
	if len(results) == 0 {
		return false
	}
	for _, r := range results {
		if p.exclude[r.Name] || p.exclude[names[r.CallID]] {
			return false
		}
	}
	return true
}

// contentTokens returns the tokens of r's content. For a message holding
// only r it derives them from the pass's memoized count of the message,
// less the framing of a one-result tool message, instead of tokenizing a
// large result a second time; the figure only labels the footer and the
// artifact's metadata.
func contentTokens(pass *window.Pass, m llm.Message, r llm.ToolResult, single bool) int {
	tok := pass.Tokenizer()
	if single && m.Name == "" && m.Text() == "" {
		framing := tokens.TokensPerMessage + tokens.ToolResultTokens + tok.Count(string(m.Role)) + tok.Count(r.Name)
		if n := pass.Count(m) - framing; n > 0 {
			return n
		}
	}
	return tok.Count(r.Content)
}

// offload stores each large result of m and returns m's replacement and
// the handles of the results it offloaded.
func (p *Policy) offload(ctx context.Context, pass *window.Pass, m llm.Message, names map[string]string, id string) (llm.Message, []string, error) {
	tok := pass.Tokenizer()
	repl := m
	repl.ID = id
	repl.Parts = slices.Clone(m.Parts)
	var handles []string
	var errs []error
	single := len(m.ToolResults()) == 1
	for i, part := range repl.Parts {
		if part.Kind != llm.PartToolResult || part.ToolResult == nil {
			continue
		}
		r := *part.ToolResult
		n := contentTokens(pass, m, r, single)
		h := HandleOf(r.Content)
		head := p.previewOf(tok.Count, r.Content)
		text := head + footer(h, n, len(r.Content), len(head))
		if tok.Count(text) >= n {
			continue // too small to gain anything
		}
		tool := r.Name
		if tool == "" {
			tool = names[r.CallID]
		}
		stored, err := p.store.Put(ctx, r.Content, Meta{Tool: tool, CallID: r.CallID, Provenance: m.Meta.Provenance, Tokens: n})
		if err != nil {
			errs = append(errs, fmt.Errorf("offload: message %s: %w", m.ID, err))
			continue
		}
		if stored != h { // cannot happen: Put names content as HandleOf does
			errs = append(errs, fmt.Errorf("offload: message %s: stored as %s, not %s", m.ID, stored, h))
			continue
		}
		r.Content = text
		repl.Parts[i] = llm.ToolResultPart(r)
		handles = append(handles, string(h))
	}
	if len(handles) > 0 {
		repl.Meta.Artifact = handles[0]
	}
	return repl, handles, errors.Join(errs...)
}

// previewOf returns the head of content holding at most p.preview
// tokens, cut after a line where one falls in the second half of the
// head, else after a space, else between runes.
func (p *Policy) previewOf(count func(string) int, content string) string {
	if p.preview <= 0 {
		return ""
	}
	end := min(len(content), p.preview*6)
	for end > 0 {
		cand := content[:end]
		if end < len(content) {
			cand = cutHead(cand)
		}
		n := count(cand)
		if n <= p.preview {
			return cand
		}
		end = len(cand) * p.preview / n
		if end >= len(cand) {
			end = len(cand) - 1
		}
	}
	return ""
}

// cutHead cuts s after its last newline, or else its last space, when
// that keeps at least half of s; otherwise at its last rune boundary.
func cutHead(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= len(s)/2 {
		return s[:i+1]
	}
	if i := strings.LastIndexByte(s, ' '); i >= len(s)/2 {
		return s[:i+1]
	}
	i := len(s)
	for k := 0; k < 3 && i > 0 && isCont(s[i-1]); k++ {
		i--
	}
	if i > 0 {
		i-- // the first byte of the last rune
	}
	if utf8.FullRuneInString(s[i:]) {
		return s
	}
	return s[:i]
}

// footer tells the model what was offloaded and how to get it back.
func footer(h Handle, tokens, bytes, shown int) string {
	return fmt.Sprintf("\n[… %d tokens offloaded to artifact %s (%d bytes, the first %d shown above); %s(handle, offset, limit) or %s(query) to retrieve]",
		tokens, h, bytes, shown, ReadToolName, SearchToolName)
}

// callNames maps the view's tool-call IDs to their tools' names.
func callNames(view []llm.Message) map[string]string {
	names := map[string]string{}
	for _, m := range view {
		for _, c := range m.ToolCalls() {
			names[c.ID] = c.Name
		}
	}
	return names
}
