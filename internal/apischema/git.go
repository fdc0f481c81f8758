package apischema

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// SnapshotFile is the committed snapshot, relative to the repository root.
const SnapshotFile = "schema.graphql"

// BaseRevision is the commit whose snapshot the current one is compared
// with: JALON_SCHEMA_BASE when set; else, on a branch, where it left main
// (so every commit of the branch is covered); else (on main, or a branch
// with no commit of its own) the first parent of HEAD. "" when the history
// has none of them (a shallow clone with one commit).
func BaseRevision(repo string) (string, error) {
	if v := os.Getenv("JALON_SCHEMA_BASE"); v != "" {
		return git(repo, "rev-parse", "--verify", v+"^{commit}")
	}
	head, err := git(repo, "rev-parse", "HEAD")
	if err != nil {
		return "", err
	}
	if mb, err := git(repo, "merge-base", "HEAD", "main"); err == nil && mb != head {
		return mb, nil
	}
	if parent, err := git(repo, "rev-parse", "--verify", "-q", "HEAD~1"); err == nil {
		return parent, nil
	}
	return "", nil
}

// SnapshotAt returns schema.graphql as committed at rev; ok is false when
// that commit has none (before snapshots existed).
func SnapshotAt(repo, rev string) (sdl []byte, ok bool, err error) {
	if _, err := git(repo, "cat-file", "-e", rev+":"+SnapshotFile); err != nil {
		return nil, false, nil
	}
	out, err := exec.Command("git", "-C", repo, "show", rev+":"+SnapshotFile).Output()
	if err != nil {
		return nil, false, fmt.Errorf("git show %s:%s: %w", rev, SnapshotFile, err)
	}
	return out, true, nil
}

func git(repo string, args ...string) (string, error) {
	out, err := exec.Command("git", append([]string{"-C", repo}, args...)...).Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}
