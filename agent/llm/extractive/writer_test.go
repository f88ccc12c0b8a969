package extractive_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/extractive"
)

const findingsText = `Findings on: How does the Go garbage collector keep pause times short?

- Pause times are typically well under a millisecond. [aa11bb22cc33#3]
- The Go garbage collector is a concurrent mark-and-sweep collector. [aa11bb22cc33#3]
- Go 1.5 replaced the stop-the-world garbage collector with a concurrent one. [dd44ee55ff66#2]
- The new collector reduced pause times from hundreds of milliseconds to under ten milliseconds in most programs. [dd44ee55ff66#2]
- When the limit is near, the garbage collector runs more often to stay under it. [aa11bb22cc33#5]

Findings on: What do the GOGC and GOMEMLIMIT settings control?

- The GOGC environment variable sets the garbage collection target percentage. [aa11bb22cc33#4]
- A value of 100 means the heap may grow to twice the live heap before the next collection. [aa11bb22cc33#4]
- The memory limit, set with GOMEMLIMIT, caps the total memory the Go runtime uses. [aa11bb22cc33#5]
- The GOGC environment variable sets the garbage collection target percentage. [aa11bb22cc33#4]

Findings on: How does escape analysis reduce garbage collector work?

- Escape analysis decides whether a value can live on the stack. [0a1b2c3d4e5f#0]
- Values that do not escape are not managed by the garbage collector, which reduces allocation pressure. [0a1b2c3d4e5f#0]
- The compiler reports its escape decisions with the -gcflags=-m flag. [0a1b2c3d4e5f#1]`

var reportSubqs = []string{
	"How does the Go garbage collector keep pause times short?",
	"What do the GOGC and GOMEMLIMIT settings control?",
	"How does escape analysis reduce garbage collector work?",
}

const reportBrief = "How does Go's garbage collector work, and how can programs tune it? Cover pauses, settings and escape analysis."

func writerUser(findings string, extra ...string) string {
	parts := []string{
		section("Research brief", reportBrief),
		section("Sub-questions", bullets(reportSubqs...)),
		section("Findings", findings),
	}
	return strings.Join(append(parts, extra...), "\n")
}

func write(t *testing.T, user string) string {
	t.Helper()
	resp := generate(t, llm.Request{Role: llm.CallWriter, Messages: []llm.Message{llm.System("write"), llm.User(user)}})
	assert.Empty(t, resp.Message.ToolCalls())
	assert.Equal(t, llm.FinishStop, resp.FinishReason)
	assert.Positive(t, resp.Usage.Output)
	return resp.Message.Text()
}

// findingSentences maps each finding sentence to its key.
func findingSentences() map[string]string {
	out := map[string]string{}
	for _, l := range strings.Split(findingsText, "\n") {
		if m := keyPattern.FindStringSubmatchIndex(l); m != nil && strings.HasPrefix(l, "- ") {
			out[strings.TrimSpace(l[2:m[0]])] = l[m[2]:m[3]]
		}
	}
	return out
}

// checkReport asserts that every body sentence is a finding quoted
// verbatim with its own key, none used twice.
func checkReport(t *testing.T, report string) (sentences int) {
	t.Helper()
	known := findingSentences()
	used := map[string]bool{}
	for _, line := range bodyLines(report) {
		rest := line
		for rest != "" {
			m := keyPattern.FindStringSubmatchIndex(rest)
			require.NotNil(t, m, "uncited text in the body: %q", rest)
			sentence, key := strings.TrimSpace(rest[:m[0]]), rest[m[2]:m[3]]
			require.Contains(t, known, sentence, "the sentence is a finding, quoted verbatim")
			assert.Equal(t, known[sentence], key, "cited with its own key")
			assert.False(t, used[sentence], "used once: %q", sentence)
			used[sentence] = true
			sentences++
			rest = strings.TrimSpace(rest[m[1]:])
		}
	}
	return sentences
}

func TestWriterReport(t *testing.T) {
	report := write(t, writerUser(findingsText))
	require.True(t, strings.HasPrefix(report, "# How does Go's garbage collector work, and how can programs tune it?\n\n## Summary\n\n"), report)
	for _, q := range reportSubqs {
		assert.Contains(t, report, "\n## "+q+"\n", "one section per sub-question")
	}
	assert.NotContains(t, report, "Sources")
	n := checkReport(t, report)
	assert.GreaterOrEqual(t, n, 8, "the findings are used")

	// Each section holds findings about its sub-question.
	_, escape, _ := strings.Cut(report, "## "+reportSubqs[2])
	assert.Contains(t, escape, "[0a1b2c3d4e5f#")
}

func TestWriterWithoutFindings(t *testing.T) {
	for _, findings := range []string{"No findings.", "Findings on: x\n\nNo sources found."} {
		report := write(t, writerUser(findings))
		assert.Equal(t, "# How does Go's garbage collector work, and how can programs tune it?\n\n## Summary\n\nNo findings were available.\n", report)
	}
}

func TestRevise(t *testing.T) {
	draft := "# Go's garbage collector\n\n## Summary\n\n" +
		"The collector is great and everybody loves it. Pause times are typically well under a millisecond. [aa11bb22cc33#3]\n\n" +
		"## How does the Go garbage collector keep pause times short?\n\n" +
		"Go 1.5 replaced the stop-the-world garbage collector with a concurrent one. [dd44ee55ff66#2] It was invented in 1970. [ffffffffffff#9]\n\n" +
		"## What do the GOGC and GOMEMLIMIT settings control?\n\n" +
		"The GOGC environment variable sets the garbage collection target percentage. [aa11bb22cc33#4] [ffffffffffff#1]\n"
	critique := section("Critique", bullets(
		"uncited: The collector is great and everybody loves it.",
		"unresolved citation [ffffffffffff#9]: not a source key of the findings",
		"uncovered: How does escape analysis reduce garbage collector work?",
	))
	revised := write(t, writerUser(findingsText, section("Report", draft), critique))

	assert.NotContains(t, revised, "everybody loves it", "uncited sentence removed")
	assert.NotContains(t, revised, "1970", "sentence with an unresolved key removed")
	assert.NotContains(t, revised, "ffffffffffff", "unresolved keys dropped")
	assert.Contains(t, revised, "Pause times are typically well under a millisecond. [aa11bb22cc33#3]", "good sentences kept")
	assert.Contains(t, revised, "The GOGC environment variable sets the garbage collection target percentage. [aa11bb22cc33#4]\n")
	assert.True(t, strings.HasPrefix(revised, "# Go's garbage collector\n"), "title kept")
	_, added, ok := strings.Cut(revised, "\n## How does escape analysis reduce garbage collector work?\n")
	require.True(t, ok, "the uncovered sub-question gets a section:\n%s", revised)
	assert.Contains(t, added, "[0a1b2c3d4e5f#0]")
	checkReport(t, revised)
}

type critique struct {
	Score     float64  `json:"score"`
	Issues    []string `json:"issues"`
	Uncovered []string `json:"uncovered"`
}

func critic(t *testing.T, report string, check ...string) critique {
	t.Helper()
	user := writerUser(findingsText, section("Report", report))
	if len(check) > 0 {
		user += "\n" + section("Citation check", strings.Join(check, "\n"))
	}
	resp := generate(t, llm.Request{
		Role:     llm.CallCritic,
		Schema:   &llm.ResponseSchema{Name: "critique"},
		Messages: []llm.Message{llm.System("criticize"), llm.User(user)},
	})
	var c critique
	require.NoError(t, json.Unmarshal([]byte(resp.Message.Text()), &c))
	require.NotNil(t, c.Issues)
	require.NotNil(t, c.Uncovered)
	return c
}

func TestCritic(t *testing.T) {
	good := write(t, writerUser(findingsText))
	bad := "# Go GC\n\n## Summary\n\n" +
		"The collector is great and everybody loves it. Pause times are typically well under a millisecond. [aa11bb22cc33#3]\n\n" +
		"## Pauses\n\nIt was invented in 1970. [ffffffffffff#9]\n"

	g := critic(t, good)
	b := critic(t, bad, "unresolved citation [ffffffffffff#9] removed: no such document")
	assert.Greater(t, g.Score, b.Score, "good %v\nbad %v", g, b)
	assert.InDelta(t, 1.0, g.Score, 1e-9, "the writer's own report passes: %v", g.Issues)
	assert.Empty(t, g.Uncovered)

	assert.Contains(t, b.Issues, "uncited: The collector is great and everybody loves it.")
	assert.Contains(t, b.Issues, "unresolved citation [ffffffffffff#9]: not a source key of the findings")
	assert.Contains(t, b.Issues, "citation check: unresolved citation [ffffffffffff#9] removed: no such document")
	assert.Equal(t, reportSubqs, b.Uncovered, "fewer than half of each sub-question's content words are in the body")
	for _, u := range b.Uncovered {
		assert.Contains(t, b.Issues, "uncovered: "+u)
	}
	// 1 − 0.10 (uncited) − 0.15 (unresolved) − 0.05 (check) − 0.40·3/3 (uncovered).
	assert.InDelta(t, 0.3, b.Score, 1e-9)

	none := critic(t, "# Go GC\n\n## Summary\n\nGarbage collection is a form of memory management in many languages.\n")
	assert.Contains(t, none.Issues, "the report cites none of the findings")
	assert.Less(t, none.Score, b.Score)

	// The critique loop converges: revising the bad report by its critique scores higher.
	var issues []string
	issues = append(issues, b.Issues...)
	revised := write(t, writerUser(findingsText, section("Report", bad), section("Critique", bullets(issues...))))
	r := critic(t, revised)
	assert.Greater(t, r.Score, b.Score, "revised:\n%s\n%v", revised, r)
}

// fabricated is a sentence no finding says, pinned on a real key.
const fabricated = "The Go garbage collector was designed by a committee of forty engineers in 1998."

func TestClaimCheckCritiqueAndRevision(t *testing.T) {
	draft := "# Go's garbage collector\n\n## Summary\n\n" +
		"Pause times are typically well under a millisecond. [aa11bb22cc33#3] " + fabricated + " [aa11bb22cc33#3]\n\n" +
		"## How does the Go garbage collector keep pause times short?\n\n" +
		"Go 1.5 replaced the stop-the-world garbage collector with a concurrent one. [dd44ee55ff66#2]\n\n" +
		"## What do the GOGC and GOMEMLIMIT settings control?\n\n" +
		"- The GOGC environment variable sets the garbage collection target percentage. [aa11bb22cc33#4]\n" +
		"- The memory limit, set with GOMEMLIMIT, caps the total memory the Go runtime uses. [aa11bb22cc33#5]\n\n" +
		"## How does escape analysis reduce garbage collector work?\n\n" +
		"Escape analysis decides whether a value can live on the stack. [0a1b2c3d4e5f#0]\n"
	// The agent's verifier lists claims as written in the numbered report,
	// without their marks.
	check := section("Claim check", bullets(
		"unsupported: "+fabricated,
		"invalid: The memory limit, set with GOMEMLIMIT, caps the total memory the Go runtime uses.",
	))

	user := writerUser(findingsText, section("Report", draft))
	plain := critic(t, draft)
	resp := generate(t, llm.Request{
		Role:     llm.CallCritic,
		Schema:   &llm.ResponseSchema{Name: "critique"},
		Messages: []llm.Message{llm.System("criticize"), llm.User(user + "\n" + check)},
	})
	var c critique
	require.NoError(t, json.Unmarshal([]byte(resp.Message.Text()), &c))
	assert.Contains(t, c.Issues, "unsupported: "+fabricated, "an issue per unsupported claim")
	assert.Contains(t, c.Issues, "invalid citation: The memory limit, set with GOMEMLIMIT, caps the total memory the Go runtime uses.")
	// 0.10 per unsupported claim, 0.15 per invalid one.
	assert.InDelta(t, plain.Score-0.25, c.Score, 1e-9, "plain %v\nchecked %v", plain, c)

	revised := write(t, writerUser(findingsText, section("Report", draft), section("Critique", bullets(c.Issues...)), check))
	assert.NotContains(t, revised, "committee", "the unsupported sentence is dropped")
	assert.NotContains(t, revised, "caps the total memory", "the invalid sentence is dropped and not re-added")
	assert.Contains(t, revised, "Pause times are typically well under a millisecond. [aa11bb22cc33#3]", "the rest is kept")
	assert.Contains(t, revised, "The GOGC environment variable sets the garbage collection target percentage. [aa11bb22cc33#4]\n", "the other list item is kept")
	assert.Contains(t, revised, "Escape analysis decides whether a value can live on the stack. [0a1b2c3d4e5f#0]")
	checkReport(t, revised)

	// Without the claim check the fabricated sentence stays: it is cited.
	kept := write(t, writerUser(findingsText, section("Report", draft), section("Critique", bullets("uncovered: nothing"))))
	assert.Contains(t, kept, fabricated)
}

func TestClaimMatchingToleratesSplitting(t *testing.T) {
	draft := "# GC\n\n## Summary\n\n" +
		"Pause times are typically well under a millisecond. [aa11bb22cc33#3]\n\n" +
		"## Pauses\n\nGo 1.5 replaced the stop-the-world garbage collector with a concurrent one. [dd44ee55ff66#2]\n"
	// A verifier that merged two sentences into one claim still names both.
	check := section("Claim check", bullets("unsupported: **Go 1.5** replaced the stop-the-world garbage collector with a concurrent one. And more words follow here."))
	revised := write(t, writerUser(findingsText, section("Report", draft), section("Critique", bullets("unsupported: x")), check))
	assert.NotContains(t, revised, "stop-the-world")
	assert.Contains(t, revised, "Pause times are typically well under a millisecond.")
}

func TestBadCitationCritiqueAndRevision(t *testing.T) {
	draft := "# Go's garbage collector\n\n## Summary\n\n" +
		"Pause times are typically well under a millisecond. [aa11bb22cc33#3] [dd44ee55ff66#2]\n\n" +
		"## How does the Go garbage collector keep pause times short?\n\n" +
		"Go 1.5 replaced the stop-the-world garbage collector with a concurrent one. [dd44ee55ff66#2]\n\n" +
		"## What do the GOGC and GOMEMLIMIT settings control?\n\n" +
		"- The GOGC environment variable sets the garbage collection target percentage. [aa11bb22cc33#4]\n" +
		"- The memory limit, set with GOMEMLIMIT, caps the total memory the Go runtime uses. [aa11bb22cc33#5][aa11bb22cc33#4]\n\n" +
		"## How does escape analysis reduce garbage collector work?\n\n" +
		"Escape analysis decides whether a value can live on the stack. [0a1b2c3d4e5f#0]\n"
	unsupported := extractive.CitationLine(false, "dd44ee55ff66#2", "Pause times are typically well under a millisecond.")
	invalid := extractive.CitationLine(true, "aa11bb22cc33#4", "The memory limit, set with GOMEMLIMIT, caps the total memory the Go runtime uses.")
	assert.Equal(t, "unsupported citation [dd44ee55ff66#2] in: Pause times are typically well under a millisecond.", unsupported)
	check := section("Claim check", bullets(unsupported, invalid, "something else entirely", "invalid citation [] in: no key"))

	plain := critic(t, draft)
	resp := generate(t, llm.Request{
		Role:     llm.CallCritic,
		Schema:   &llm.ResponseSchema{Name: "critique"},
		Messages: []llm.Message{llm.System("criticize"), llm.User(writerUser(findingsText, section("Report", draft)) + "\n" + check)},
	})
	var c critique
	require.NoError(t, json.Unmarshal([]byte(resp.Message.Text()), &c))
	assert.Contains(t, c.Issues, unsupported)
	assert.Contains(t, c.Issues, invalid)
	// 0.10 per unsupported citation, 0.15 per invalid one; malformed lines ignored.
	assert.InDelta(t, plain.Score-0.25, c.Score, 1e-9, "plain %v\nchecked %v", plain, c)

	revised := write(t, writerUser(findingsText, section("Report", draft), section("Critique", bullets(c.Issues...)), check))
	// Only the bad marks go; the sentences stay with their good keys.
	assert.Contains(t, revised, "Pause times are typically well under a millisecond. [aa11bb22cc33#3]\n")
	assert.Contains(t, revised, "The memory limit, set with GOMEMLIMIT, caps the total memory the Go runtime uses. [aa11bb22cc33#5]\n")
	// The same key elsewhere, on a claim the check does not name, stays.
	assert.Contains(t, revised, "The GOGC environment variable sets the garbage collection target percentage. [aa11bb22cc33#4]\n")
	assert.Contains(t, revised, "Go 1.5 replaced the stop-the-world garbage collector with a concurrent one. [dd44ee55ff66#2]")
	checkReport(t, revised)
}
