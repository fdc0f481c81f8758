package blobstore_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"jalon/internal/blobstore"
)

// A Dir writes through a temporary file renamed into place: no temporary
// file stays behind, after a success or a failure.
func TestDirLeavesNoTemporaryFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := t.TempDir()
	d, err := blobstore.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	const key = "0b7e6c1a-3d9f-4f52-8d1e-2a4b6c8d0e1f"
	for _, content := range []string{"hello", "bonjour"} {
		if err := d.Put(ctx, key, strings.NewReader(content), int64(len(content))); err != nil {
			t.Fatal(err)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(root, key[:2])); len(entries) != 1 {
		t.Fatalf("files in shard: %v", entries)
	}
	if err := d.Put(ctx, "abc-failing", io.MultiReader(strings.NewReader("part"), errReader{}), 10); err == nil {
		t.Fatal("put of a failing reader succeeded")
	}
	if entries, _ := os.ReadDir(filepath.Join(root, "ab")); len(entries) != 0 {
		t.Fatalf("leftovers: %v", entries)
	}
}

// The walk reports a file's modification time, and skips what is not a
// blob: an unfinished Put's temporary file, a stray file, a misplaced one.
func TestDirWalk(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := t.TempDir()
	d, err := blobstore.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"0b7e6c1a-3d9f-4f52-8d1e-2a4b6c8d0e1f", "0b11aaaa-0000-4000-8000-000000000000", "ff00bbbb-0000-4000-8000-000000000000"}
	for _, k := range keys {
		if err := d.Put(ctx, k, strings.NewReader(k), int64(len(k))); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(root, "ff", keys[2]), old, old); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join("0b", ".tmp-123"), "README", filepath.Join("ff", "0b-misplaced")} {
		if err := os.WriteFile(filepath.Join(root, p), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	times := map[string]time.Time{}
	if err := d.Walk(ctx, func(b blobstore.Blob) error {
		got = append(got, b.Key)
		times[b.Key] = b.ModTime
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	want := append([]string(nil), keys...)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("walk: %v, want %v", got, want)
	}
	if !times[keys[2]].Equal(old) || time.Since(times[keys[0]]) > time.Minute {
		t.Fatalf("mod times: %v", times)
	}
	stop := errors.New("stop")
	if err := d.Walk(ctx, func(blobstore.Blob) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("stop: %v", err)
	}
}
