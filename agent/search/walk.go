package search

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// source is a file or Go package directory Add will index.
type source struct {
	path    string   // absolute file or package directory
	root    string   // absolute folder it was found under
	kind    string   // KindMarkdown, KindText, KindHTML or KindGo
	goFiles []string // for KindGo: names of the non-test .go files
	goPath  string   // for KindGo: the import path
}

// skipDir reports whether Add stays out of a directory named name:
// hidden ("." or "_" prefix), testdata, vendor and node_modules.
func skipDir(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") ||
		name == "testdata" || name == "vendor" || name == "node_modules"
}

// discover lists the sources under root, a folder or a single file, in
// path order. scope is the path whose documents the root covers: the
// folder, or the file. Unreadable subdirectories are skipped and
// reported in bad.
func discover(ctx context.Context, root string) (srcs []source, scope string, bad []error, err error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, "", nil, err
	}
	abs = filepath.Clean(abs)
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, "", nil, err
	}
	if !fi.IsDir() {
		kind := kindOf(abs)
		if kind == "" {
			return nil, "", nil, fmt.Errorf("%s: not a Markdown, text or HTML file (or a folder)", abs)
		}
		return []source{{path: abs, root: filepath.Dir(abs), kind: kind}}, abs, nil, nil
	}
	modPrefix := modulePath(abs)
	goDirs := map[string][]string{}
	err = filepath.WalkDir(abs, func(path string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if err != nil {
			bad = append(bad, err)
			if d != nil && d.IsDir() && path != abs {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if path != abs && skipDir(d.Name()) {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if kind := kindOf(path); kind != "" {
			srcs = append(srcs, source{path: path, root: abs, kind: kind})
		} else if isGoSource(d.Name()) {
			dir := filepath.Dir(path)
			goDirs[dir] = append(goDirs[dir], d.Name())
		}
		return nil
	})
	if err != nil {
		return nil, "", bad, err
	}
	for dir, names := range goDirs {
		rel, _ := filepath.Rel(abs, dir)
		rel = filepath.ToSlash(rel)
		if slices.Contains(strings.Split(rel, "/"), "internal") {
			continue
		}
		srcs = append(srcs, source{path: dir, root: abs, kind: KindGo, goFiles: names, goPath: importPath(modPrefix, abs, rel)})
	}
	slices.SortFunc(srcs, func(a, b source) int { return strings.Compare(a.path, b.path) })
	return srcs, abs, bad, nil
}

// importPath names the package in folder rel (slash-separated) of root:
// the module path of root's go.mod joined with rel, or rel alone when
// root has no go.mod or is the standard library ("std", "cmd"), or the
// root folder's name for the root itself.
func importPath(module, root, rel string) string {
	switch {
	case rel == "." && module != "":
		return module
	case rel == ".":
		return filepath.Base(root)
	case module != "":
		return module + "/" + rel
	}
	return rel
}

// modulePath returns the module path declared in dir/go.mod, or "" if
// there is none or it is the standard library's.
func modulePath(dir string) string {
	f, err := os.Open(filepath.Join(dir, "go.mod"))
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "module"); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
			m := strings.Trim(strings.TrimSpace(rest), `"`)
			if m == "std" || m == "cmd" {
				return ""
			}
			return m
		}
	}
	return ""
}

// within reports whether path is scope or lies under it.
func within(path, scope string) bool {
	return path == scope || strings.HasPrefix(path, scope+string(filepath.Separator)) ||
		strings.HasSuffix(scope, string(filepath.Separator)) && strings.HasPrefix(path, scope)
}
