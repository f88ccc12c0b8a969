package eval

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// ErrSuite reports a suite file that cannot be used; the message names the
// file, the line and the field.
var ErrSuite = errors.New("eval: invalid suite")

// Suite is a set of research questions (Samples) with their gold facts,
// the variants of the system to run on them, and the judges that score
// them. Its YAML format is documented in the README; unknown fields are
// errors.
type Suite struct {
	// Name names the suite in logs and reports.
	Name string `yaml:"name" json:"name"`
	// Corpus lists the folders every sample is researched over: one path
	// or a list. Relative paths are relative to the suite file; $GOROOT
	// (and any other environment variable) is expanded. LoadSuite makes
	// them absolute.
	Corpus Paths `yaml:"corpus" json:"corpus"`
	// Samples are the questions. SamplesFile names a JSONL file with one
	// sample object per line instead (or in addition), relative to the
	// suite file.
	Samples     []Sample `yaml:"samples,omitempty" json:"samples"`
	SamplesFile string   `yaml:"samples_file,omitempty" json:"samples_file,omitempty"`
	// Variants are the configurations of the system to compare. A suite
	// without variants runs one, named "default", with the default
	// settings.
	Variants []Variant `yaml:"variants,omitempty" json:"variants"`
	// Comparisons name the pairs of variants reports compare (B against
	// A, sample by sample). Optional. Defaults to every variant against
	// the first.
	Comparisons []Pair `yaml:"comparisons,omitempty" json:"comparisons,omitempty"`
	// Judges are model specs of the LLM judges ("openai:gpt-4.1"); several
	// form a panel. Without judges the judge scorers are skipped.
	Judges []string `yaml:"judges,omitempty" json:"judges,omitempty"`
	// Path is the suite file's absolute path, set by LoadSuite.
	Path string `yaml:"-" json:"path,omitempty"`
}

// Pair names two variants to compare: B against A.
type Pair struct {
	A string `yaml:"a" json:"a"`
	B string `yaml:"b" json:"b"`
}

// Pairs returns the comparisons to report: Comparisons, or every variant
// against the first.
func (s *Suite) Pairs() []Pair {
	if len(s.Comparisons) > 0 {
		return s.Comparisons
	}
	var out []Pair
	for _, v := range s.Variants[min(1, len(s.Variants)):] {
		out = append(out, Pair{A: s.Variants[0].Name, B: v.Name})
	}
	return out
}

// Paths is a list of paths that YAML may also spell as one string.
type Paths []string

// UnmarshalYAML accepts a scalar or a sequence of scalars.
func (p *Paths) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*p = Paths{n.Value}
		return nil
	case yaml.SequenceNode:
		var xs []string
		if err := n.Decode(&xs); err != nil {
			return err
		}
		*p = xs
		return nil
	}
	return fmt.Errorf("line %d: corpus: want a path or a list of paths", n.Line)
}

// Sample is one research question with what a good report contains.
type Sample struct {
	// ID names the sample; unique within the suite. Required.
	ID string `yaml:"id" json:"id"`
	// Question is what the agent is asked. Required.
	Question string `yaml:"question" json:"question"`
	// KeyFacts are the facts a good report states. An unanswerable
	// sample (tag "unanswerable") has none.
	KeyFacts []Fact `yaml:"key_facts,omitempty" json:"key_facts,omitempty"`
	// ExpectedSources are the documents a good report cites: base names,
	// relative paths or globs. A pattern of k path segments matches a
	// cited document whose path ends in k segments that match it
	// (path.Match), so "go_mem.html" and "sync/atomic" match whatever the
	// corpus folder is.
	ExpectedSources []string `yaml:"expected_sources,omitempty" json:"expected_sources,omitempty"`
	// Reference names a reference report (Markdown) relative to the suite
	// file, for judges that score relative to it; ReferenceText is its
	// content, read by LoadSuite.
	Reference     string `yaml:"reference,omitempty" json:"reference,omitempty"`
	ReferenceText string `yaml:"-" json:"reference_text,omitempty"`
	// Rubric holds the judge's criteria for this question. When empty, a
	// judge generates them once and the log caches them.
	Rubric []Criterion `yaml:"rubric,omitempty" json:"rubric,omitempty"`
	// Tags classify the sample ("multi-hop", "comparison",
	// "unanswerable"); reports break scores down by tag.
	Tags []string `yaml:"tags,omitempty" json:"tags,omitempty"`
	// Split is "dev" (may be looked at while improving the agent) or
	// "test" (reported, never tuned to). Optional.
	Split string `yaml:"split,omitempty" json:"split,omitempty"`
	// User simulates the user when the agent asks a clarifying question.
	// Optional: without it a question is answered with DefaultAnswer.
	User *SimUser `yaml:"user,omitempty" json:"user,omitempty"`
}

// TagUnanswerable marks a sample whose question the corpus cannot answer:
// the right report says so instead of inventing an answer.
const TagUnanswerable = "unanswerable"

// Unanswerable reports whether s carries TagUnanswerable.
func (s Sample) Unanswerable() bool { return slices.Contains(s.Tags, TagUnanswerable) }

// Fact is one key fact: found when any alternative occurs in the report
// (case-insensitive, whitespace-normalised) or Regex matches.
type Fact struct {
	Any    []string `yaml:"any,omitempty" json:"any,omitempty"`
	Regex  string   `yaml:"regex,omitempty" json:"regex,omitempty"`
	Weight float64  `yaml:"weight,omitempty" json:"weight,omitempty"`
}

// FactWeight returns the fact's weight: Weight, or 1 when unset.
func (f Fact) FactWeight() float64 {
	if f.Weight > 0 {
		return f.Weight
	}
	return 1
}

// String describes the fact for reports: its first alternative or its
// regular expression.
func (f Fact) String() string {
	if len(f.Any) > 0 {
		return f.Any[0]
	}
	return "/" + f.Regex + "/"
}

// Criterion is one rubric item: what a judge checks, in which RACE
// dimension, with what weight.
type Criterion struct {
	// Dimension is "comprehensiveness", "insight", "instruction_following"
	// or "readability".
	Dimension string `yaml:"dimension" json:"dimension"`
	// Criterion says what a good report does.
	Criterion string `yaml:"criterion" json:"criterion"`
	// Weight is the criterion's weight within its dimension. Optional.
	// Defaults to equal weights.
	Weight float64 `yaml:"weight,omitempty" json:"weight,omitempty"`
}

// SimUser answers the agent's clarifying questions: fixed Answers in
// order, or a model playing Persona when a user model is configured.
type SimUser struct {
	Answers []string `yaml:"answers,omitempty" json:"answers,omitempty"`
	Persona string   `yaml:"persona,omitempty" json:"persona,omitempty"`
}

// Found reports whether the fact occurs in text. It is safe for
// concurrent use; a Regex that does not compile never matches (LoadSuite
// and Validate reject it).
func (f Fact) Found(text string) bool {
	norm := Normalize(text)
	for _, alt := range f.Any {
		if a := Normalize(alt); a != "" && strings.Contains(norm, a) {
			return true
		}
	}
	if f.Regex != "" {
		re, err := compileFact(f.Regex)
		return err == nil && re.MatchString(norm)
	}
	return false
}

// factRegexps caches compiled fact expressions: a suite's facts are
// matched against every report of every variant and epoch.
var factRegexps sync.Map // expr -> *regexp.Regexp or error

func compileFact(expr string) (*regexp.Regexp, error) {
	if v, ok := factRegexps.Load(expr); ok {
		if re, ok := v.(*regexp.Regexp); ok {
			return re, nil
		}
		return nil, v.(error)
	}
	re, err := regexp.Compile("(?i)" + expr)
	if err != nil {
		factRegexps.Store(expr, err)
		return nil, err
	}
	factRegexps.Store(expr, re)
	return re, nil
}

// Normalize lowercases s and collapses every run of white space into one
// space: the form key facts are matched in.
func Normalize(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// Variant is one configuration of the system under test: an overlay on
// the research agent's defaults. Unset fields keep the defaults.
type Variant struct {
	// Name names the variant; unique within the suite. Required.
	Name string `yaml:"name" json:"name"`
	// Model is the model spec for every role ("extractive",
	// "openai:gpt-4.1"). Optional. Defaults to extractive.
	Model string `yaml:"model,omitempty" json:"model,omitempty"`
	// Models maps roles to model specs; the key "default" sets every role
	// not named. Optional.
	Models map[string]string `yaml:"models,omitempty" json:"models,omitempty"`
	// BaseURL is the API base URL of the variant's OpenAI-compatible
	// models. Optional. Defaults to the provider's environment.
	BaseURL string `yaml:"base_url,omitempty" json:"base_url,omitempty"`
	// Context configures the context engine.
	Context ContextSettings `yaml:"context,omitempty" json:"context,omitzero"`
	// Research overlays the research agent's settings.
	Research ResearchSettings `yaml:"research,omitempty" json:"research,omitzero"`
}

// ContextSettings configure a variant's context engine.
type ContextSettings struct {
	// Policy is "default" (engine.DefaultPolicy) or "none" (no management:
	// a view that does not fit fails the call). Optional. Defaults to
	// "default".
	Policy string `yaml:"policy,omitempty" json:"policy,omitempty"`
	// Window is the token budget of every model call. Optional. Defaults
	// to the model's window.
	Window int `yaml:"window,omitempty" json:"window,omitempty"`
}

// ResearchSettings overlay research.Config. A nil field keeps the
// agent's default; an explicit 0 means zero (max_critique_rounds: 0 turns
// the critique loop off).
type ResearchSettings struct {
	MaxCritiqueRounds       *int  `yaml:"max_critique_rounds,omitempty" json:"max_critique_rounds,omitempty"`
	MaxToolCalls            *int  `yaml:"max_tool_calls,omitempty" json:"max_tool_calls,omitempty"`
	MaxResearchers          *int  `yaml:"max_researchers,omitempty" json:"max_researchers,omitempty"`
	MaxSupervisorIterations *int  `yaml:"max_supervisor_iterations,omitempty" json:"max_supervisor_iterations,omitempty"`
	FindingsBudget          *int  `yaml:"findings_budget,omitempty" json:"findings_budget,omitempty"`
	Clarify                 *bool `yaml:"clarify,omitempty" json:"clarify,omitempty"`
}

// LoadSuite reads and validates the suite file at path: strict YAML
// (unknown fields are errors), samples_file, reference reports, regular
// expressions, unique IDs. Errors wrap ErrSuite and name the file, line
// and field.
func LoadSuite(path string) (*Suite, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSuite, err)
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSuite, err)
	}
	s, err := ParseSuite(data, abs)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// ParseSuite parses a suite from YAML; path (the file it came from) is
// used for messages and to resolve relative paths.
func ParseSuite(data []byte, path string) (*Suite, error) {
	fail := func(line int, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrSuite, location(path, line), fmt.Sprintf(format, args...))
	}
	var s Suite
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, fail(0, "%s", strings.ReplaceAll(strings.TrimPrefix(err.Error(), "yaml: "), "\n ", ""))
	}
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root)
	lines := suiteLines{root: &root}
	s.Path = path
	dir := filepath.Dir(path)
	if s.Name == "" {
		s.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	if len(s.Corpus) == 0 {
		return nil, fail(lines.key("corpus"), "corpus: required")
	}
	for i, c := range s.Corpus {
		s.Corpus[i] = resolveSuitePath(dir, c)
	}
	// where locates each sample for messages: the suite file and line, or
	// the samples file and line.
	where := make([]string, len(s.Samples))
	for i := range s.Samples {
		where[i] = location(path, lines.item("samples", i))
	}
	if s.SamplesFile != "" {
		file := resolveSuitePath(dir, s.SamplesFile)
		more, at, err := readSamplesFile(file)
		if err != nil {
			return nil, err
		}
		s.Samples = append(s.Samples, more...)
		for _, n := range at {
			where = append(where, location(file, n))
		}
	}
	if len(s.Samples) == 0 {
		return nil, fail(lines.key("samples"), "samples: the suite has none")
	}
	seen := map[string]bool{}
	for i := range s.Samples {
		smp := &s.Samples[i]
		if err := validateSample(smp, dir); err != nil {
			return nil, fmt.Errorf("%w: %s: samples[%d] (%s): %v", ErrSuite, where[i], i, smp.ID, err)
		}
		if seen[smp.ID] {
			return nil, fmt.Errorf("%w: %s: samples[%d]: id %q is used twice", ErrSuite, where[i], i, smp.ID)
		}
		seen[smp.ID] = true
	}
	if len(s.Variants) == 0 {
		s.Variants = []Variant{{Name: "default"}}
	}
	names := map[string]bool{}
	for i, v := range s.Variants {
		line := lines.item("variants", i)
		if err := v.validate(); err != nil {
			return nil, fail(line, "variants[%d] (%s): %v", i, v.Name, err)
		}
		if names[v.Name] {
			return nil, fail(line, "variants[%d]: name %q is used twice", i, v.Name)
		}
		names[v.Name] = true
	}
	for i, p := range s.Comparisons {
		if !names[p.A] || !names[p.B] || p.A == p.B {
			return nil, fail(lines.item("comparisons", i), "comparisons[%d]: %q and %q must be two variants of the suite", i, p.A, p.B)
		}
	}
	return &s, nil
}

func validateSample(smp *Sample, dir string) error {
	smp.ID = strings.TrimSpace(smp.ID)
	switch {
	case smp.ID == "":
		return errors.New("id: required")
	case strings.ContainsAny(smp.ID, `/\`) || smp.ID == "." || smp.ID == "..":
		return fmt.Errorf("id: %q must not contain a path separator", smp.ID)
	case strings.TrimSpace(smp.Question) == "":
		return errors.New("question: required")
	case smp.Split != "" && smp.Split != "dev" && smp.Split != "test":
		return fmt.Errorf("split: %q is neither dev nor test", smp.Split)
	}
	for j := range smp.KeyFacts {
		f := &smp.KeyFacts[j]
		if len(f.Any) == 0 && f.Regex == "" {
			return fmt.Errorf("key_facts[%d]: give any: [...] or regex", j)
		}
		if f.Weight < 0 {
			return fmt.Errorf("key_facts[%d].weight: %v is negative", j, f.Weight)
		}
		if f.Regex != "" {
			if _, err := compileFact(f.Regex); err != nil {
				return fmt.Errorf("key_facts[%d].regex: %v", j, err)
			}
		}
	}
	if smp.Reference != "" && dir != "" {
		data, err := os.ReadFile(resolveSuitePath(dir, smp.Reference))
		if err != nil {
			return fmt.Errorf("reference: %v", err)
		}
		smp.ReferenceText = string(data)
	}
	for j, c := range smp.Rubric {
		if !slices.Contains(Dimensions, c.Dimension) {
			return fmt.Errorf("rubric[%d].dimension: %q is not one of %s", j, c.Dimension, strings.Join(Dimensions, ", "))
		}
	}
	return nil
}

// Dimensions are the RACE dimensions a rubric criterion belongs to.
var Dimensions = []string{"comprehensiveness", "insight", "instruction_following", "readability"}

func (v Variant) validate() error {
	if strings.TrimSpace(v.Name) == "" {
		return errors.New("name: required")
	}
	if strings.ContainsAny(v.Name, `/\~`) || v.Name == "." || v.Name == ".." {
		return fmt.Errorf("name: %q must not be . or .. nor contain / \\ or ~", v.Name)
	}
	switch v.Context.Policy {
	case "", PolicyDefault, PolicyNone:
	default:
		return fmt.Errorf("context.policy: %q is neither %q nor %q", v.Context.Policy, PolicyDefault, PolicyNone)
	}
	if v.Context.Window < 0 {
		return fmt.Errorf("context.window: %d is negative", v.Context.Window)
	}
	r := v.Research
	for name, p := range map[string]*int{
		"max_tool_calls": r.MaxToolCalls, "max_researchers": r.MaxResearchers,
		"max_supervisor_iterations": r.MaxSupervisorIterations, "findings_budget": r.FindingsBudget,
	} {
		if p != nil && *p <= 0 {
			return fmt.Errorf("research.%s: %d must be positive", name, *p)
		}
	}
	if r.MaxCritiqueRounds != nil && *r.MaxCritiqueRounds < 0 {
		return fmt.Errorf("research.max_critique_rounds: %d is negative (0 turns critique off)", *r.MaxCritiqueRounds)
	}
	return nil
}

// Context policies of a Variant.
const (
	PolicyDefault = "default"
	PolicyNone    = "none"
)

// location is "file:line", or the file alone when the line is unknown.
func location(file string, line int) string {
	if line > 0 {
		return fmt.Sprintf("%s:%d", file, line)
	}
	return file
}

// readSamplesFile reads one strict JSON sample object per line and returns
// the samples with the line each came from.
func readSamplesFile(path string) ([]Sample, []int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: samples_file: %v", ErrSuite, err)
	}
	defer f.Close()
	var out []Sample
	var at []int
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		var smp Sample
		if err := dec.Decode(&smp); err != nil {
			return nil, nil, fmt.Errorf("%w: %s:%d: %v", ErrSuite, path, n, err)
		}
		out = append(out, smp)
		at = append(at, n)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %v", ErrSuite, path, err)
	}
	return out, at, nil
}

// resolveSuitePath expands environment variables ($GOROOT falls back to
// the toolchain's root when unset) and makes p absolute against dir.
func resolveSuitePath(dir, p string) string {
	p = os.Expand(p, func(name string) string {
		if v := os.Getenv(name); v != "" {
			return v
		}
		if name == "GOROOT" {
			return goroot()
		}
		return ""
	})
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	return filepath.Clean(p)
}

// goroot returns the Go toolchain's root: `go env GOROOT` as the running
// binary was built, or the default install location.
func goroot() string {
	if r := runtime.GOROOT(); r != "" { //nolint:staticcheck // the fallback when GOROOT is unset
		return r
	}
	return "/usr/local/go"
}

// suiteLines finds line numbers in the suite's YAML tree for messages.
type suiteLines struct{ root *yaml.Node }

func (l suiteLines) mapping() *yaml.Node {
	if l.root == nil || len(l.root.Content) == 0 {
		return nil
	}
	m := l.root.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil
	}
	return m
}

func (l suiteLines) value(key string) *yaml.Node {
	m := l.mapping()
	if m == nil {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func (l suiteLines) key(key string) int {
	if v := l.value(key); v != nil {
		return v.Line
	}
	return 0
}

func (l suiteLines) item(key string, i int) int {
	v := l.value(key)
	if v == nil || v.Kind != yaml.SequenceNode || i >= len(v.Content) {
		return 0
	}
	return v.Content[i].Line
}

// Validate checks a suite built in code as LoadSuite checks a file:
// required fields, unique sample IDs and variant names that are safe as
// folder names, regular expressions, rubric dimensions, comparisons. It
// reads no file (reference reports are taken as they are).
func (s *Suite) Validate() error {
	if len(s.Samples) == 0 {
		return fmt.Errorf("%w: the suite has no samples", ErrSuite)
	}
	ids := map[string]bool{}
	for i := range s.Samples {
		smp := s.Samples[i]
		if err := validateSample(&smp, ""); err != nil {
			return fmt.Errorf("%w: samples[%d] (%s): %v", ErrSuite, i, smp.ID, err)
		}
		if ids[smp.ID] {
			return fmt.Errorf("%w: samples[%d]: id %q is used twice", ErrSuite, i, smp.ID)
		}
		ids[smp.ID] = true
	}
	names := map[string]bool{}
	for i, v := range s.Variants {
		if err := v.validate(); err != nil {
			return fmt.Errorf("%w: variants[%d] (%s): %v", ErrSuite, i, v.Name, err)
		}
		if names[v.Name] {
			return fmt.Errorf("%w: variants[%d]: name %q is used twice", ErrSuite, i, v.Name)
		}
		names[v.Name] = true
	}
	for i, p := range s.Comparisons {
		if !names[p.A] || !names[p.B] || p.A == p.B {
			return fmt.Errorf("%w: comparisons[%d]: %q and %q must be two variants of the suite", ErrSuite, i, p.A, p.B)
		}
	}
	return nil
}

// Hash returns a SHA-256 over the suite's samples and variants as loaded
// (references included), identifying what was asked and how.
func (s *Suite) Hash() string {
	data, _ := json.Marshal(struct {
		Samples  []Sample  `json:"samples"`
		Variants []Variant `json:"variants"`
	}{s.Samples, s.Variants})
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Sample returns the sample with id.
func (s *Suite) Sample(id string) (Sample, bool) {
	for _, smp := range s.Samples {
		if smp.ID == id {
			return smp, true
		}
	}
	return Sample{}, false
}

// Variant returns the variant named name.
func (s *Suite) Variant(name string) (Variant, bool) {
	for _, v := range s.Variants {
		if v.Name == name {
			return v, true
		}
	}
	return Variant{}, false
}
