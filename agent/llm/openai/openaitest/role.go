package openaitest

import (
	"strings"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/extractive"
)

// ResearchRole infers the role of a call of the research agent
// (agent/research) and its context engine from what the agent sends for
// each role: the critique schema is the critic; any other schema, or the
// conduct_research or research_complete tool, the planner; the search tool
// the researcher; the writer's and reviser's system prompts the writer; a
// system prompt about compressing the compressor. Anything else is taken
// for the summarizer, whose instructions are configurable.
func ResearchRole(w Wire) llm.CallRole {
	schema, system := w.SchemaName(), w.System()
	switch {
	case schema == extractive.SchemaCritique:
		return llm.CallCritic
	case schema != "" || w.HasTool(extractive.ToolConductResearch) || w.HasTool(extractive.ToolResearchComplete):
		return llm.CallPlanner
	case w.HasTool("search"):
		return llm.CallResearcher
	case strings.HasPrefix(system, "You write the final") || strings.HasPrefix(system, "You revise"):
		return llm.CallWriter
	case strings.Contains(system, "compress"):
		return llm.CallCompressor
	}
	return llm.CallSummarizer
}
