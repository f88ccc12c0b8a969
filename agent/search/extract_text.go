package search

import (
	"path/filepath"
	"strings"
)

// Kinds of document.
const (
	KindMarkdown = "markdown"
	KindText     = "text"
	KindHTML     = "html"
	KindGo       = "go"
)

// kindOf returns the kind of the file at path from its extension, or ""
// for files the index does not read.
func kindOf(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".md", ".markdown":
		return KindMarkdown
	case ".txt", ".text", ".rst":
		return KindText
	case ".html", ".htm":
		return KindHTML
	}
	return ""
}

// markdownTitle returns the text of the first level-1 ATX heading
// ("# Title") outside code fences, or "".
func markdownTitle(text string) string {
	fence := ""
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if fence != "" {
			if strings.HasPrefix(t, fence) {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			fence = t[:3]
			continue
		}
		if strings.HasPrefix(line, "# ") {
			title := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(line[2:]), "#"))
			if title != "" {
				return title
			}
		}
	}
	return ""
}

// fileTitle is the title of a document that has none of its own: its
// file name.
func fileTitle(path string) string { return filepath.Base(path) }
