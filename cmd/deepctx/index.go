package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/deepctx/deepctx/agent/search"
)

func newIndexCmd() *cobra.Command {
	var db string
	cmd := &cobra.Command{
		Use:   "index [--db PATH] DIR...",
		Short: "Index folders of Markdown, text, HTML and Go packages for research",
		Long: `index walks the folders (or files) given and adds their documents to the
corpus index: Markdown, plain text, HTML (boilerplate stripped) and Go package
directories (their package documentation). Re-indexing skips unchanged files
and removes deleted ones. Search is hybrid: BM25 and vectors fused by rank.

Example: deepctx index "$(go env GOROOT)/doc" "$(go env GOROOT)/src"`,
		Args: argsUsage(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			roots := make([]string, len(args))
			for i, a := range args {
				abs, err := filepath.Abs(a)
				if err != nil {
					return err
				}
				if _, err := os.Stat(abs); err != nil {
					return usagef("%s: no such file or folder", a)
				}
				roots[i] = abs
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			path := indexPath(db)
			idx, err := openIndexAt(path, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			_, err = indexRoots(ctx, cmd.ErrOrStderr(), idx, roots)
			is := idx.Stats()
			if cerr := idx.Close(); cerr != nil && err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Index %s: %d documents, %d passages.\n", path, is.Documents, is.Passages)
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", "", "corpus index folder (default: the user cache dir, deepctx/index)")
	return cmd
}

// openIndexAt opens the corpus index at path, reporting the progress of
// its Adds on w about once a second.
func openIndexAt(path string, w io.Writer) (*search.Index, error) {
	var last time.Time
	idx, err := search.Open(path, search.Options{Progress: func(p search.Progress) {
		if time.Since(last) < time.Second && p.Done != p.Total {
			return
		}
		last = time.Now()
		fmt.Fprintf(w, "indexing: %d/%d files (%.1fs) %s\n", p.Done, p.Total, p.Elapsed.Seconds(), displayPath(p.Path))
	}})
	if err != nil {
		return nil, fmt.Errorf("corpus index %s: %w", path, err)
	}
	return idx, nil
}

// indexRoots adds roots to idx and prints a summary line on w.
func indexRoots(ctx context.Context, w io.Writer, idx *search.Index, roots []string) (search.Stats, error) {
	st, err := idx.Add(ctx, roots...)
	if err != nil {
		return st, fmt.Errorf("index: %w", err)
	}
	fmt.Fprintf(w, "indexed in %.1fs: %d added, %d updated, %d unchanged, %d removed, %d failed (%d passages written)\n",
		st.Duration.Seconds(), st.Added, st.Updated, st.Unchanged, st.Removed, st.Failed, st.Chunks)
	for _, e := range st.Errors {
		fmt.Fprintf(w, "  skipped: %v\n", e)
	}
	return st, nil
}
