package extractive

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/deepctx/deepctx/agent/llm"
)

// Critic penalties: the score is 1 minus their sum, clamped to [0, 1].
const (
	penaltyUncited    = 0.10 // per body sentence without a citation
	penaltyUnresolved = 0.15 // per distinct key not found in the findings
	penaltyCheck      = 0.05 // per line of # Citation check
	penaltyClaim      = 0.10 // per unsupported claim or citation of # Claim check
	penaltyInvalid    = 0.15 // per invalid claim or invalid citation of # Claim check
	penaltyUncovered  = 0.40 // times the share of sub-questions uncovered
	penaltyNoCitation = 0.50 // a body that cites nothing at all
)

// critique answers a critic request with rule checks: uncited body
// sentences, keys that are not in the findings, the agent's own citation
// check and claim check, and sub-questions fewer than half of whose
// content words appear in the report's body.
func (m *Model) critique(ctx context.Context, req llm.Request) (reply, error) {
	sec, ok := sectionsOf(req.Messages)
	if !ok {
		return reply{}, badRequest("critic request has no # Report section")
	}
	report, ok := sec[SectionReport]
	if !ok {
		return reply{}, badRequest("critic request has no # Report section")
	}
	subqs := bulletItems(sec[SectionSubQuestions])
	_, keys := findingClaims(sec[SectionFindings])
	out := struct {
		Score     float64  `json:"score"`
		Issues    []string `json:"issues"`
		Uncovered []string `json:"uncovered"`
	}{Issues: []string{}, Uncovered: []string{}}

	if len(keys) == 0 {
		out.Issues = append(out.Issues, "no findings: the research found no sources to cite")
		out.Uncovered = append(out.Uncovered, subqs...)
		return jsonReply(out)
	}

	penalty := 0.0
	_, blocks := parseReport(report)
	var body []string
	cited := 0
	unresolved := map[string]bool{}
	for _, b := range blocks {
		for _, l := range b.lines {
			if strings.TrimSpace(l) == "" {
				continue
			}
			for _, c := range parseClaims(listItem(strings.TrimSpace(l))) {
				body = append(body, c.text)
				if len(c.keys) == 0 {
					if len(strings.Fields(c.text)) >= 4 {
						out.Issues = append(out.Issues, "uncited: "+shorten(c.text, 160))
						penalty += penaltyUncited
					}
					continue
				}
				cited++
				for _, k := range c.keys {
					if !keys[k] && !unresolved[k] {
						unresolved[k] = true
						out.Issues = append(out.Issues, fmt.Sprintf("unresolved citation [%s]: not a source key of the findings", k))
						penalty += penaltyUnresolved
					}
				}
			}
		}
	}
	if err := checkCtx(ctx); err != nil {
		return reply{}, err
	}
	if cited == 0 {
		out.Issues = append(out.Issues, "the report cites none of the findings")
		penalty += penaltyNoCitation
	}
	for _, l := range strings.Split(sec[SectionCitationCheck], "\n") {
		if l = strings.TrimSpace(listItem(strings.TrimSpace(l))); l != "" {
			out.Issues = append(out.Issues, "citation check: "+l)
			penalty += penaltyCheck
		}
	}
	for _, c := range claimCheck(sec[SectionClaimCheck]) {
		if c.invalid {
			out.Issues = append(out.Issues, "invalid citation: "+shorten(c.text, 200))
			penalty += penaltyInvalid
		} else {
			out.Issues = append(out.Issues, "unsupported: "+shorten(c.text, 200))
			penalty += penaltyClaim
		}
	}
	for _, c := range citationCheck(sec[SectionClaimCheck]) {
		out.Issues = append(out.Issues, CitationLine(c.invalid, c.key, shorten(c.text, 200)))
		if c.invalid {
			penalty += penaltyInvalid
		} else {
			penalty += penaltyClaim
		}
	}
	have := termSet(strings.Join(body, " "))
	for _, q := range subqs {
		qs := termSet(q)
		n := 0
		for t := range qs {
			if have[t] {
				n++
			}
		}
		if len(qs) > 0 && n*2 < len(qs) {
			out.Uncovered = append(out.Uncovered, q)
			out.Issues = append(out.Issues, "uncovered: "+q)
		}
	}
	if len(subqs) > 0 {
		penalty += penaltyUncovered * float64(len(out.Uncovered)) / float64(len(subqs))
	}
	out.Score = math.Round(max(0, min(1, 1-penalty))*1000) / 1000
	return jsonReply(out)
}

// checkedClaim is one line of a # Claim check section.
type checkedClaim struct {
	text    string
	invalid bool // else unsupported
}

// claimCheck reads a # Claim check section: its "unsupported: <claim>"
// and "invalid: <claim>" items, in order, repeats dropped. Other lines
// are ignored.
func claimCheck(section string) []checkedClaim {
	var out []checkedClaim
	seen := map[string]bool{}
	for _, item := range bulletItems(section) {
		var c checkedClaim
		if rest, ok := cutPrefixFold(item, strings.TrimSpace(ClaimUnsupported)); ok {
			c.text = rest
		} else if rest, ok := cutPrefixFold(item, strings.TrimSpace(ClaimInvalid)); ok {
			c.text, c.invalid = rest, true
		}
		if c.text == "" || seen[c.text] {
			continue
		}
		seen[c.text] = true
		out = append(out, c)
	}
	return out
}

// checkedCitation is a citation line of a # Claim check section: one bad
// citation of a claim.
type checkedCitation struct {
	key     string // without brackets
	text    string // the claim
	invalid bool   // else unsupported
}

// citationCheck reads a # Claim check section's "unsupported citation
// [key] in: <claim>" and "invalid citation [key] in: <claim>" items, in
// order, repeats dropped. Other lines are ignored.
func citationCheck(section string) []checkedCitation {
	var out []checkedCitation
	seen := map[checkedCitation]bool{}
	for _, item := range bulletItems(section) {
		var c checkedCitation
		rest, ok := cutPrefixFold(item, strings.TrimSpace(CitationUnsupported))
		if !ok {
			rest, ok = cutPrefixFold(item, strings.TrimSpace(CitationInvalid))
			c.invalid = true
		}
		if !ok || !strings.HasPrefix(rest, "[") {
			continue
		}
		end := strings.Index(rest, "]")
		if end < 0 {
			continue
		}
		c.key = strings.TrimSpace(rest[1:end])
		c.text, ok = cutPrefixFold(strings.TrimLeft(rest[end+1:], " "), strings.TrimSpace(CitationClaim))
		if !ok || c.key == "" || c.text == "" || seen[c] {
			continue
		}
		seen[c] = true
		out = append(out, c)
	}
	return out
}

// citationDropper tells which keys to drop from a report sentence: those
// the # Claim check names as bad citations of that sentence.
type citationDropper []struct {
	key   string
	claim claimMatcher
}

func newCitationDropper(cs []checkedCitation) citationDropper {
	var d citationDropper
	for _, c := range cs {
		if m := newClaimMatcher([]checkedClaim{{text: c.text}}); len(m) > 0 {
			d = append(d, struct {
				key   string
				claim claimMatcher
			}{c.key, m})
		}
	}
	return d
}

// drops reports whether key is a bad citation of sentence.
func (d citationDropper) drops(sentence, key string) bool {
	for _, c := range d {
		if c.key == key && c.claim.match(sentence) {
			return true
		}
	}
	return false
}

// claimMatcher tells whether a report sentence is one of a list of
// claims: the same words (lowercased letters and digits, punctuation and
// Markdown ignored), or one containing the other when the shorter has
// four words or more, so sentence splitting that differs between the
// agent's verifier and this engine still finds them.
type claimMatcher []string

func newClaimMatcher(claims []checkedClaim) claimMatcher {
	var m claimMatcher
	for _, c := range claims {
		if w := words(c.text); len(w) > 0 {
			m = append(m, " "+strings.Join(w, " ")+" ")
		}
	}
	return m
}

func (m claimMatcher) match(sentence string) bool {
	ws := words(sentence)
	if len(ws) == 0 {
		return false
	}
	s := " " + strings.Join(ws, " ") + " "
	for _, c := range m {
		switch {
		case c == s:
			return true
		case len(ws) >= 4 && strings.Contains(c, s),
			strings.Count(c, " ") > 4 && strings.Contains(s, c):
			return true
		}
	}
	return false
}
