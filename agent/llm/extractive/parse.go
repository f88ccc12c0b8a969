package extractive

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/deepctx/deepctx/agent/llm"
)

// The "# " sections of the research agent's requests (agent/research),
// the names both sides of the protocol use.
const (
	SectionQuestion       = "Question"
	SectionClarifications = "Clarifications"
	SectionBrief          = "Research brief"
	SectionSubQuestions   = "Sub-questions"
	SectionLimits         = "Limits"
	SectionFindings       = "Findings"
	SectionReport         = "Report"
	SectionCritique       = "Critique"
	SectionCitationCheck  = "Citation check"
	// SectionClaimCheck lists the claims the claim-level citation check
	// (agent/research/verify) found unsupported or invalid, one
	// "- unsupported: <claim>" or "- invalid: <claim>" line each, the
	// claim as written without its citation marks; and the single bad
	// citations of claims another citation supports, one
	// "- unsupported citation [key] in: <claim>" or
	// "- invalid citation [key] in: <claim>" line each (see
	// CitationLine).
	SectionClaimCheck = "Claim check"
)

// The prefixes of a # Claim check line.
const (
	ClaimUnsupported = "unsupported: "
	ClaimInvalid     = "invalid: "
	// CitationUnsupported and CitationInvalid start a line about one
	// citation of a claim: "<prefix>[key] in: <claim>".
	CitationUnsupported = "unsupported citation "
	CitationInvalid     = "invalid citation "
	// CitationClaim separates a citation line's "[key]" from its claim.
	CitationClaim = " in: "
)

// CitationLine is the # Claim check line for one bad citation [key] of
// claim: invalid (its passage does not exist) or else unsupported.
func CitationLine(invalid bool, key, claim string) string {
	prefix := CitationUnsupported
	if invalid {
		prefix = CitationInvalid
	}
	return prefix + "[" + key + "]" + CitationClaim + claim
}

// The structured-output schemas and supervisor tools of the protocol.
const (
	SchemaClarify        = "clarify_decision"
	SchemaBrief          = "research_brief"
	SchemaCritique       = "critique"
	ToolConductResearch  = "conduct_research"
	ToolResearchComplete = "research_complete"
	ToolThink            = "think"
)

var knownSections = map[string]bool{
	SectionQuestion: true, SectionClarifications: true, SectionBrief: true, SectionSubQuestions: true, SectionLimits: true,
	SectionFindings: true, SectionReport: true, SectionCritique: true, SectionCitationCheck: true,
	SectionClaimCheck: true,
}

// parseSections reads the protocol's "# Name" sections of text. Only the
// known names start a section, so a report's own "# Title" inside
// "# Report" stays part of it. Text before the first section is dropped.
func parseSections(text string) map[string]string {
	out := map[string]string{}
	cur := ""
	var b strings.Builder
	flush := func() {
		if cur != "" {
			out[cur] = strings.TrimSpace(b.String())
		}
		b.Reset()
	}
	for _, line := range strings.Split(text, "\n") {
		if name, ok := strings.CutPrefix(line, "# "); ok && knownSections[strings.TrimSpace(name)] {
			flush()
			cur = strings.TrimSpace(name)
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	flush()
	return out
}

// bulletItems returns the list items of a section ("- item"); lines that
// are not list items continue the previous item.
func bulletItems(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		if item := listItem(t); item != t {
			out = append(out, item)
		} else if len(out) > 0 {
			out[len(out)-1] += " " + t
		} else {
			out = append(out, t)
		}
	}
	return out
}

// userTexts returns the texts of the request's user messages, in order.
// Summaries the context engine wrote in place of older turns are skipped.
func userTexts(msgs []llm.Message) []string {
	var out []string
	for _, m := range msgs {
		if m.Role != llm.RoleUser || m.Meta.Provenance == "summary" || strings.HasPrefix(m.Text(), "[Summary of earlier work") {
			continue
		}
		if t := strings.TrimSpace(m.Text()); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// sectionsOf returns the sections of the last user message that has any,
// and whether one was found.
func sectionsOf(msgs []llm.Message) (map[string]string, bool) {
	us := userTexts(msgs)
	for i := len(us) - 1; i >= 0; i-- {
		if s := parseSections(us[i]); len(s) > 0 {
			return s, true
		}
	}
	return nil, false
}

// passage is one source passage read from a tool result.
type passage struct {
	key   string // "docid#n"
	doc   string
	chunk int
	title string
	text  string
}

var keyLineRE = regexp.MustCompile(`^\[([A-Za-z0-9_.-]+)#(\d+)\]\s*(.*)$`)

// parsePassages reads the passages of a search or read_document result: a
// line starting with a key opens a passage (the rest of that line is its
// title — path, in search results), and the lines up to the next key line
// are its text. Header lines ("Found …", "Document …") and anything before
// the first key are ignored, so truncated or offloaded results yield what
// survives of them.
func parsePassages(content string) []passage {
	var out []passage
	var cur *passage
	var text []string
	flush := func() {
		if cur == nil {
			return
		}
		cur.text = strings.TrimSpace(strings.Join(text, "\n"))
		if cur.text == "" { // "[key] text" on one line
			cur.text, cur.title = cur.title, ""
		}
		out = append(out, *cur)
		cur, text = nil, nil
	}
	for _, line := range strings.Split(content, "\n") {
		if m := keyLineRE.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			flush()
			n, err := strconv.Atoi(m[2])
			if err != nil {
				continue
			}
			cur = &passage{key: m[1] + "#" + m[2], doc: m[1], chunk: n, title: strings.TrimSpace(m[3])}
			continue
		}
		if cur == nil {
			continue
		}
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "Document ") && strings.Contains(t, "(chunks ") {
			flush()
			continue
		}
		text = append(text, line)
	}
	flush()
	return out
}

// claim is a piece of keyed text: a sentence and the keys cited after it.
type claim struct {
	text string
	keys []string
}

// parseClaims reads cited text (findings, a report's body line): each
// sentence followed by one or more keys is a claim with those keys;
// sentences before the last key of a segment, and text after the last key,
// are claims without keys.
func parseClaims(line string) []claim {
	var out []claim
	locs := keyRE.FindAllStringSubmatchIndex(line, -1)
	prev := 0
	for _, loc := range locs {
		seg := line[prev:loc[0]]
		key := line[loc[2]:loc[3]] + "#" + line[loc[4]:loc[5]]
		prev = loc[1]
		if strings.TrimSpace(strings.Trim(seg, " ,;")) == "" {
			if len(out) > 0 { // a second key for the same claim
				out[len(out)-1].keys = append(out[len(out)-1].keys, key)
			}
			continue
		}
		ss := splitUnit(collapse(seg))
		for i, s := range ss {
			c := claim{text: s}
			if i == len(ss)-1 {
				c.keys = []string{key}
			}
			out = append(out, c)
		}
	}
	if tail := strings.TrimSpace(line[prev:]); tail != "" && strings.Trim(tail, " .,;:") != "" {
		for _, s := range splitUnit(collapse(tail)) {
			out = append(out, claim{text: s})
		}
	}
	return out
}

// findingClaims reads the claims of a # Findings section: every claim that
// carries a key, stripped of list markers, first occurrence kept; extra
// keys of a repeated claim are merged into the first.
func findingClaims(findings string) (claims []claim, keys map[string]bool) {
	keys = map[string]bool{}
	index := map[string]int{}
	for _, line := range strings.Split(findings, "\n") {
		t := listItem(strings.TrimSpace(line))
		if t == "" {
			continue
		}
		for _, c := range parseClaims(t) {
			if len(c.keys) == 0 {
				continue
			}
			for _, k := range c.keys {
				keys[k] = true
			}
			c.text = strings.TrimSpace(c.text)
			norm := strings.ToLower(collapse(c.text))
			if i, ok := index[norm]; ok {
				for _, k := range c.keys {
					if !containsStr(claims[i].keys, k) {
						claims[i].keys = append(claims[i].keys, k)
					}
				}
				continue
			}
			if len(words(c.text)) < 3 {
				continue
			}
			index[norm] = len(claims)
			claims = append(claims, c)
		}
	}
	return claims, keys
}

func containsStr(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// cite renders a claim as "sentence [key]".
func cite(c claim) string {
	var b strings.Builder
	b.WriteString(c.text)
	for _, k := range c.keys {
		b.WriteString(" [" + k + "]")
	}
	return b.String()
}
