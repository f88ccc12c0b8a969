package judge

import (
	"testing"

	"github.com/deepctx/deepctx/eval"
)

// Judge replies are untrusted model output: every parser must return a
// value or an error, never panic, and whatever it accepts must be in range.
func FuzzParseJudgeReplies(f *testing.F) {
	f.Add(`{"winner": "2", "explanation": "B covers more."}`)
	f.Add("```json\n{\"scores\": [{\"criterion\": 0, \"a\": 7, \"b\": 8, \"explanation\": \"x\"}]}\n```")
	f.Add(`{"dimensions": {"comprehensiveness": 0.4, "insight": 0.3, "instruction_following": 0.2, "readability": 0.1}, "criteria": [{"dimension": "insight", "criterion": "explains why", "weight": 1}]}`)
	f.Add(`prose {"winner": "tie"} more prose }`)
	f.Add(`{`)
	f.Add(``)
	rub, err := NewRubric(map[string]float64{"comprehensiveness": 1}, []eval.Criterion{{Dimension: "comprehensiveness", Criterion: "covers it"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, reply string) {
		if said, _, err := parseVerdict(reply); err == nil && said == "" {
			t.Fatalf("accepted a verdict with no winner: %q", reply)
		}
		for _, as := range []string{TargetAsA, TargetAsB} {
			if scores, err := parseScores(reply, rub, as); err == nil {
				for _, s := range scores {
					if s.Target < 0 || s.Target > 10 || s.Reference < 0 || s.Reference > 10 {
						t.Fatalf("accepted an out-of-range score %+v from %q", s, reply)
					}
				}
			}
		}
		if r, err := parseRubric(reply); err == nil && len(r.Criteria) == 0 {
			t.Fatalf("accepted a rubric without criteria: %q", reply)
		}
	})
}
