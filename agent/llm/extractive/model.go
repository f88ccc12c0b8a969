package extractive

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"iter"
	"strconv"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/summarize"
	"github.com/deepctx/deepctx/context/tokens"
)

// Name is the model name every Response carries, and the provider name.
const Name = llm.ProviderExtractive

// Options configures the engine. The zero value is ready to use.
type Options struct {
	// Tokenizer counts Usage and the compressor's budget. Optional.
	// Defaults to tokens.ForModel("gpt-4.1") (o200k_base, exact).
	Tokenizer *tokens.Tokenizer
	// SearchK is the k sent with each search call. Optional. Defaults to 6.
	SearchK int
	// MaxSearches is how many searches a researcher makes at most: the
	// topic, then key-phrase queries. Optional. Defaults to 3.
	MaxSearches int
	// MaxReads is how many read_document calls a researcher makes at most.
	// Optional. Defaults to 2; a negative value disables reading.
	MaxReads int
	// MaxToolCalls is how many tool calls a researcher makes before it
	// answers. Optional. Defaults to 6.
	MaxToolCalls int
	// MaxFindings is how many sentences a researcher's findings hold at
	// most. Optional. Defaults to 12.
	MaxFindings int
	// Lambda is MMR's trade-off between relevance and novelty, in (0, 1].
	// Optional. Defaults to 0.7.
	Lambda float64
	// Redundancy is the TF-IDF cosine similarity above which a sentence is
	// a near-duplicate of one already chosen and is skipped. Optional.
	// Defaults to 0.8.
	Redundancy float64
	// SummarySentences is how many sentences the writer puts in the report's
	// Summary. Optional. Defaults to 3.
	SummarySentences int
	// SectionSentences is how many sentences the writer puts under each
	// sub-question at most. Optional. Defaults to 5.
	SectionSentences int
	// Summarizer configures the summarizer role, which is
	// summarize.Extractive. Optional. Defaults to its zero value.
	Summarizer summarize.ExtractiveConfig
}

func (o Options) withDefaults() Options {
	if o.Tokenizer == nil {
		o.Tokenizer = tokens.ForModel("gpt-4.1")
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.SearchK, 6)
	def(&o.MaxSearches, 3)
	def(&o.MaxReads, 2)
	def(&o.MaxToolCalls, 6)
	def(&o.MaxFindings, 12)
	def(&o.SummarySentences, 3)
	def(&o.SectionSentences, 5)
	if o.MaxReads < 0 {
		o.MaxReads = 0
	}
	if o.Lambda <= 0 || o.Lambda > 1 {
		o.Lambda = 0.7
	}
	if o.Redundancy <= 0 {
		o.Redundancy = 0.8
	}
	return o
}

// Model is the offline engine. It is safe for concurrent use.
type Model struct {
	opts Options
	sum  summarize.Summarizer
}

var _ llm.Model = (*Model)(nil)

// New returns the engine configured by opts.
func New(opts Options) *Model {
	opts = opts.withDefaults()
	return &Model{opts: opts, sum: summarize.Extractive(opts.Summarizer)}
}

// reply is what a role handler produces.
type reply struct {
	text  string
	calls []call
}

// call is a tool call before it gets its ID.
type call struct {
	name string
	args any
}

// handler answers one kind of request.
type handler func(ctx context.Context, req llm.Request) (reply, error)

// Generate answers req by its Role (see the package documentation). It is
// deterministic: the same request gives the same response, IDs included.
// Requests it cannot serve fail with an error matching llm.ErrBadRequest.
func (m *Model) Generate(ctx context.Context, req llm.Request) (llm.Response, error) {
	if err := ctx.Err(); err != nil {
		return llm.Response{}, fmt.Errorf("extractive: %w", err)
	}
	h, err := m.route(req)
	if err != nil {
		return llm.Response{}, err
	}
	r, err := h(ctx, req)
	if err != nil {
		return llm.Response{}, err
	}
	if err := ctx.Err(); err != nil {
		return llm.Response{}, fmt.Errorf("extractive: %w", err)
	}
	return m.respond(req, r)
}

// Stream is Generate as a stream (llm.StreamOf).
func (m *Model) Stream(ctx context.Context, req llm.Request) iter.Seq2[llm.Event, error] {
	return llm.StreamOf(ctx, m.Generate, req)
}

// route picks the handler for req: by Role, and within a role by the
// request's schema, tools and sections. An empty Role is inferred from the
// same signals.
func (m *Model) route(req llm.Request) (handler, error) {
	schema := ""
	if req.Schema != nil {
		schema = req.Schema.Name
	}
	role := req.Role
	if role == llm.CallDefault {
		role = inferRole(req, schema)
	}
	switch role {
	case llm.CallPlanner:
		switch {
		case schema == SchemaClarify:
			return m.clarify, nil
		case schema == SchemaBrief:
			return m.brief, nil
		case hasTool(req.Tools, ToolConductResearch), hasTool(req.Tools, ToolResearchComplete):
			return m.supervise, nil
		}
		return nil, badRequest("a planner request must ask for schema %q or %q, or offer the conduct_research tool", SchemaClarify, SchemaBrief)
	case llm.CallResearcher:
		return m.research, nil
	case llm.CallCompressor:
		return m.compress, nil
	case llm.CallSummarizer:
		return m.summarize, nil
	case llm.CallWriter:
		return m.write, nil
	case llm.CallCritic:
		return m.critique, nil
	case llm.CallDefault:
		return nil, badRequest("cannot tell what the request asks for: give it a Role (planner, researcher, compressor, summarizer, writer or critic)")
	}
	return nil, badRequest("role %q is not served: the extractive engine only runs the research agent's planner, researcher, compressor, summarizer, writer and critic calls", role)
}

// inferRole guesses the role of a request sent without one.
func inferRole(req llm.Request, schema string) llm.CallRole {
	switch {
	case schema == SchemaClarify, schema == SchemaBrief, hasTool(req.Tools, ToolConductResearch):
		return llm.CallPlanner
	case schema == SchemaCritique:
		return llm.CallCritic
	case hasTool(req.Tools, "search"):
		return llm.CallResearcher
	}
	if s, ok := sectionsOf(req.Messages); ok {
		if _, ok := s[SectionFindings]; ok {
			return llm.CallWriter
		}
	}
	return llm.CallDefault
}

func hasTool(tools []llm.ToolDef, name string) bool {
	for _, t := range tools {
		if t.Name == name {
			return true
		}
	}
	return false
}

// badRequest reports a request the engine cannot serve.
func badRequest(format string, args ...any) error {
	return &llm.ProviderError{Kind: llm.ErrBadRequest, Provider: Name, Message: fmt.Sprintf(format, args...)}
}

// respond builds the response: deterministic IDs derived from a digest of
// the request, usage counted with the tokenizer.
func (m *Model) respond(req llm.Request, r reply) (llm.Response, error) {
	digest := requestDigest(req)
	tok := m.opts.Tokenizer
	out := tok.Count(r.text)
	var parts []llm.Part
	if r.text != "" {
		parts = append(parts, llm.TextPart(r.text))
	}
	for i, c := range r.calls {
		args, err := json.Marshal(c.args)
		if err != nil {
			return llm.Response{}, fmt.Errorf("extractive: encode %s arguments: %w", c.name, err)
		}
		tc := llm.ToolCall{ID: "call_" + digest[:12] + "_" + strconv.Itoa(i+1), Name: c.name, Args: args}
		parts = append(parts, llm.ToolCallPart(tc))
		out += tok.Count(c.name) + tok.Count(string(args)) + tokens.ToolCallTokens
	}
	finish := llm.FinishStop
	if len(r.calls) > 0 {
		finish = llm.FinishToolCalls
	}
	return llm.Response{
		Message:      llm.Message{ID: "msg_" + digest[:16], Role: llm.RoleAssistant, Parts: parts},
		FinishReason: finish,
		Usage:        llm.Usage{Input: tok.CountRequest(req), Output: out},
		Model:        Name,
	}, nil
}

// requestDigest hashes everything in req that a reply may depend on, each
// field length-prefixed, so that equal requests get equal IDs even when
// they hold arguments that are not valid JSON.
func requestDigest(req llm.Request) string {
	h := sha256.New()
	put := func(ss ...string) {
		for _, s := range ss {
			var n [8]byte
			binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
			h.Write(n[:])
			h.Write([]byte(s))
		}
	}
	put(string(req.Role), string(req.ToolChoice.Mode), req.ToolChoice.Name, strconv.Itoa(req.MaxTokens))
	if req.Schema != nil {
		put("schema", req.Schema.Name, string(req.Schema.Schema))
	}
	for _, t := range req.Tools {
		put("tool", t.Name, string(t.Parameters))
	}
	for _, m := range req.Messages {
		put("message", m.ID, string(m.Role), m.Name)
		for _, p := range m.Parts {
			put(string(p.Kind), p.Text)
			if c := p.ToolCall; c != nil {
				put(c.ID, c.Name, string(c.Args))
			}
			if r := p.ToolResult; r != nil {
				put(r.CallID, r.Name, r.Content, strconv.FormatBool(r.IsError))
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// toolStep pairs every tool call of the transcript with its result.
type toolStep struct {
	call   llm.ToolCall
	result *llm.ToolResult
}

func toolSteps(msgs []llm.Message) []toolStep {
	var steps []toolStep
	index := map[string]int{}
	for _, m := range msgs {
		for _, c := range m.ToolCalls() {
			index[c.ID] = len(steps)
			steps = append(steps, toolStep{call: c})
		}
		for _, r := range m.ToolResults() {
			if i, ok := index[r.CallID]; ok && steps[i].result == nil {
				r := r
				steps[i].result = &r
			}
		}
	}
	return steps
}

// assistantTurns counts the assistant messages of the transcript.
func assistantTurns(msgs []llm.Message) int {
	n := 0
	for _, m := range msgs {
		if m.Role == llm.RoleAssistant {
			n++
		}
	}
	return n
}

// checkCtx returns ctx's error, wrapped, if it is done.
func checkCtx(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("extractive: %w", err)
	}
	return nil
}
