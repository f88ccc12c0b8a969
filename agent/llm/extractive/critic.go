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
	penaltyUncovered  = 0.40 // times the share of sub-questions uncovered
	penaltyNoCitation = 0.50 // a body that cites nothing at all
)

// critique answers a critic request with rule checks: uncited body
// sentences, keys that are not in the findings, the agent's own citation
// check, and sub-questions fewer than half of whose content words appear
// in the report's body.
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
