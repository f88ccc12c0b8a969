package window

import (
	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/tokens"
)

// Pass is one run of a Manager's pipeline: the view as the policies have
// left it so far, its size, and the budget. Policies read the view and
// change it only through Record. A Pass is used by one goroutine.
type Pass struct {
	t        *Transcript
	tok      *tokens.Tokenizer
	tools    []llm.ToolDef
	limit    int
	view     []llm.Message
	tokens   int // of view and tools; -1 when stale
	recorded []Edit
}

func newPass(t *Transcript, tok *tokens.Tokenizer, tools []llm.ToolDef, limit int) *Pass {
	p := &Pass{t: t, tok: tok, tools: tools, limit: limit}
	p.render()
	return p
}

func (p *Pass) render() {
	msgs, edits := p.t.snapshot()
	p.view = Render(msgs, edits)
	p.tokens = -1
}

// View returns the current view. It must not be modified.
func (p *Pass) View() []llm.Message { return p.view }

// Tokens returns the size of the current view with the tool definitions.
func (p *Pass) Tokens() int {
	if p.tokens < 0 {
		p.tokens = p.tok.CountMessages(p.view, p.tools)
	}
	return p.tokens
}

// Limit returns the tokens the view and tools may hold (the budget's limit
// less the Manager's recitation).
func (p *Pass) Limit() int { return p.limit }

// Count returns the tokens of one message (memoized by ID).
func (p *Pass) Count(m llm.Message) int { return p.tok.CountMessage(m) }

// Tokenizer returns the tokenizer of the target model.
func (p *Pass) Tokenizer() *tokens.Tokenizer { return p.tok }

// Transcript returns the transcript being prepared.
func (p *Pass) Transcript() *Transcript { return p.t }

// Record records e in the transcript (see Transcript.Record) and renders
// the view again. The stored edit is returned.
func (p *Pass) Record(e Edit) (Edit, error) {
	stored, err := p.t.Record(e)
	if err != nil {
		return Edit{}, err
	}
	p.recorded = append(p.recorded, stored)
	p.render()
	return stored, nil
}
