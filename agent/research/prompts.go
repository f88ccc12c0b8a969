package research

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/extractive"
	"github.com/deepctx/deepctx/agent/research/verify"
)

// The requests the agent sends are Markdown with fixed "# " sections, so
// that any model, and the offline extractive engine, can read them. The
// section, schema and tool names of that protocol are declared once, in
// agent/llm/extractive, the package below this one that reads them.

const clarifySystem = `You decide whether a research question needs clarification before research starts.
Ask only when the question is ambiguous or lacks scope that research cannot infer. Reply with JSON:
{"need_clarification": bool, "question": "the one question to ask the user", "verification": "one sentence restating what will be researched"}.`

const briefSystem = `You turn a user's question into a research brief for a team of researchers.
Reply with JSON: {"brief": "a detailed brief: what to find out, in the user's terms, without inventing requirements", "sub_questions": ["1 to 5 specific questions the report must answer"]}.`

const supervisorSystem = `You lead a research team. Delegate research with conduct_research: one call per distinct topic, with a complete standalone topic description (researchers see nothing else). Calls in one reply run in parallel. Use think to plan between rounds. When the findings answer every sub-question, call research_complete. Do not research yourself.`

const researcherSystem = `You are a researcher answering one topic from a document corpus. Use search to find passages and read_document to read around a promising one. Passages are named by source keys like [3fa9c2e01b7d#12]. Stop when you can answer or further searches find nothing new.
Your final answer lists findings as "- claim [key]" lines: every claim followed by the source key of the passage it comes from, claims quoted or closely paraphrased from that passage. Never invent keys.`

const writerSystem = `You write the final research report in Markdown: a "# " title, a short "## Summary", then one "## " section per sub-question. Use only the findings given. Cite every claim with the source key of the finding it comes from, exactly as written there, e.g. [3fa9c2e01b7d#12]. Do not add a Sources list: it is added for you.`

const reviseSystem = `You revise a research report after a critique. Fix every issue listed: remove or cite uncited claims, drop citations that did not resolve, and answer uncovered sub-questions from the findings. The claim check lists claims whose cited passage does not support them ("unsupported") or whose citation is invalid ("invalid"): rewrite each to say only what its source says and cite that source, or drop it. It also lists single bad citations of claims another source supports ("unsupported citation [key] in: claim", "invalid citation [key] in: claim"): remove that citation from the claim and keep the rest. Keep the same Markdown structure and cite with source keys exactly as in the findings. Do not add a Sources list.`

const criticSystem = `You review a research report against its brief, sub-questions and findings. Check that every claim is cited, that citations resolve to the findings, that every sub-question is answered, and that nothing contradicts the findings. The claim check lists claims a verifier found unsupported by the passage they cite, or citing a passage that does not exist, and single citations of otherwise supported claims with either fault: each is an issue to fix. Reply with JSON: {"score": a number from 0 to 1, "issues": ["specific problems to fix"], "uncovered": ["sub-questions the report does not answer"]}.`

// section renders one "# name" section.
func section(name, body string) string {
	return "# " + name + "\n" + strings.TrimSpace(body) + "\n"
}

// sections joins sections with blank lines.
func sections(parts ...string) string { return strings.Join(parts, "\n") }

func bullets(items []string) string {
	var b strings.Builder
	for _, it := range items {
		b.WriteString("- " + strings.TrimSpace(it) + "\n")
	}
	return b.String()
}

func questionSections(s State) string {
	parts := []string{section(extractive.SectionQuestion, s.Question)}
	if s.Clarification != "" {
		parts = append(parts, section(extractive.SectionClarifications, s.Clarification))
	}
	return sections(parts...)
}

func supervisorBrief(s State, cfg Config) string {
	return sections(
		section(extractive.SectionBrief, s.Brief),
		section(extractive.SectionSubQuestions, bullets(s.SubQuestions)),
		section(extractive.SectionLimits, fmt.Sprintf("max_concurrent_researchers: %d\nmax_iterations: %d", cfg.MaxConcurrentResearchers, cfg.MaxSupervisorIterations)),
	)
}

// findingsText concatenates the researchers' findings for the writer and
// the critic.
func findingsText(fs []Finding) string {
	var b strings.Builder
	for i, f := range fs {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(strings.TrimSpace(f.Text) + "\n")
	}
	if b.Len() == 0 {
		return "No findings."
	}
	return b.String()
}

func writerRequest(s State) llm.Request {
	return llm.Request{
		Role: llm.CallWriter,
		Messages: []llm.Message{
			llm.System(writerSystem),
			llm.User(sections(
				section(extractive.SectionBrief, s.Brief),
				section(extractive.SectionSubQuestions, bullets(s.SubQuestions)),
				section(extractive.SectionFindings, findingsText(s.Findings)),
			)),
		},
	}
}

func reviseRequest(s State, d Draft, c Critique) llm.Request {
	issues := append([]string(nil), c.Issues...)
	for _, u := range c.Uncovered {
		issues = append(issues, "uncovered: "+u)
	}
	parts := []string{
		section(extractive.SectionBrief, s.Brief),
		section(extractive.SectionSubQuestions, bullets(s.SubQuestions)),
		section(extractive.SectionFindings, findingsText(s.Findings)),
		section(extractive.SectionReport, d.Keyed),
		section(extractive.SectionCritique, bullets(dedupe(issues))),
	}
	if cc := claimCheck(d.Verification); cc != "" {
		parts = append(parts, section(extractive.SectionClaimCheck, cc))
	}
	return llm.Request{
		Role:     llm.CallWriter,
		Messages: []llm.Message{llm.System(reviseSystem), llm.User(sections(parts...))},
	}
}

// claimCheck lists the claims the verifier found unsupported or invalid,
// one "- unsupported: <claim>" or "- invalid: <claim>" line each, then
// the bad citations of claims another citation supports, one
// "- unsupported citation [key] in: <claim>" or "- invalid citation [key]
// in: <claim>" line each (the source key the keyed report cites with, or
// the number when the citation names no source); "" when there are none
// (or the draft was not verified).
func claimCheck(v *verify.Summary) string {
	if v == nil {
		return ""
	}
	var items []string
	for _, c := range v.UnsupportedClaims {
		items = append(items, extractive.ClaimUnsupported+c)
	}
	for _, c := range v.InvalidClaims {
		items = append(items, extractive.ClaimInvalid+c)
	}
	for _, b := range v.BadCitations {
		key := strconv.Itoa(b.N)
		if b.DocID != "" {
			key = fmt.Sprintf("%s#%d", b.DocID, b.Chunk)
		}
		items = append(items, extractive.CitationLine(b.Status == verify.StatusInvalid, key, b.Claim))
	}
	if len(items) == 0 {
		return ""
	}
	return bullets(dedupe(items))
}

func criticRequest(s State, d Draft) llm.Request {
	parts := []string{
		section(extractive.SectionBrief, s.Brief),
		section(extractive.SectionSubQuestions, bullets(s.SubQuestions)),
		section(extractive.SectionFindings, findingsText(s.Findings)),
		section(extractive.SectionReport, d.Keyed),
	}
	if len(d.Problems) > 0 {
		parts = append(parts, section(extractive.SectionCitationCheck, strings.Join(d.Problems, "\n")))
	}
	if cc := claimCheck(d.Verification); cc != "" {
		parts = append(parts, section(extractive.SectionClaimCheck, cc))
	}
	return llm.Request{
		Role:     llm.CallCritic,
		Messages: []llm.Message{llm.System(criticSystem), llm.User(sections(parts...))},
		Schema:   &llm.ResponseSchema{Name: extractive.SchemaCritique, Schema: critiqueSchema},
	}
}

var (
	clarifySchema  = json.RawMessage(`{"type":"object","properties":{"need_clarification":{"type":"boolean"},"question":{"type":"string"},"verification":{"type":"string"}},"required":["need_clarification","question","verification"],"additionalProperties":false}`)
	briefSchema    = json.RawMessage(`{"type":"object","properties":{"brief":{"type":"string"},"sub_questions":{"type":"array","items":{"type":"string"}}},"required":["brief","sub_questions"],"additionalProperties":false}`)
	critiqueSchema = json.RawMessage(`{"type":"object","properties":{"score":{"type":"number"},"issues":{"type":"array","items":{"type":"string"}},"uncovered":{"type":"array","items":{"type":"string"}}},"required":["score","issues","uncovered"],"additionalProperties":false}`)
)

// supervisorTools are the supervisor's tools.
var supervisorTools = []llm.ToolDef{
	{
		Name:        extractive.ToolConductResearch,
		Description: "Delegate research on one topic to a researcher, who searches the corpus and returns cited findings. Calls in one reply run in parallel.",
		Parameters:  json.RawMessage(`{"type":"object","properties":{"topic":{"type":"string","description":"The topic to research, described completely: the researcher sees nothing else."}},"required":["topic"],"additionalProperties":false}`),
	},
	thinkDef,
	{
		Name:        extractive.ToolResearchComplete,
		Description: "Call when the findings answer every sub-question: research ends and the report is written.",
		Parameters:  json.RawMessage(`{"type":"object","properties":{},"additionalProperties":false}`),
	},
}

var thinkDef = llm.ToolDef{
	Name:        extractive.ToolThink,
	Description: "Think out loud: plan the next step or reflect on what was found. Has no effect beyond being recorded.",
	Parameters:  json.RawMessage(`{"type":"object","properties":{"thought":{"type":"string"}},"required":["thought"],"additionalProperties":false}`),
}

// decodeJSON reads a structured reply: the first JSON object in the text,
// so replies wrapped in a code fence or prose still parse.
func decodeJSON(text string, v any) error {
	start := strings.Index(text, "{")
	end := strings.LastIndex(text, "}")
	if start < 0 || end < start {
		return fmt.Errorf("no JSON object in the reply %q", shorten(text, 120))
	}
	if err := json.Unmarshal([]byte(text[start:end+1]), v); err != nil {
		return fmt.Errorf("the reply is not valid JSON (%v): %q", err, shorten(text, 120))
	}
	return nil
}
