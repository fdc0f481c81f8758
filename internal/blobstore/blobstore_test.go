package blobstore_test

import (
	"bytes"
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

func TestDir(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := t.TempDir()
	d, err := blobstore.NewDir(filepath.Join(root, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	const key = "0b7e6c1a-3d9f-4f52-8d1e-2a4b6c8d0e1f"
	n, err := d.Put(ctx, key, strings.NewReader("hello"))
	if err != nil || n != 5 {
		t.Fatalf("put: %d %v", n, err)
	}
	// Replacing is atomic: readers see the old or the new blob, never a part.
	if _, err := d.Put(ctx, key, strings.NewReader("bonjour")); err != nil {
		t.Fatal(err)
	}
	f, err := d.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if !bytes.Equal(b, []byte("bonjour")) {
		t.Fatalf("read %q", b)
	}
	// No temporary file is left behind.
	entries, _ := os.ReadDir(filepath.Join(root, "blobs", key[:2]))
	if len(entries) != 1 {
		t.Fatalf("files in shard: %v", entries)
	}
	// A failing reader leaves nothing.
	if _, err := d.Put(ctx, "abc-failing", io.MultiReader(strings.NewReader("part"), errReader{})); err == nil {
		t.Fatal("put of a failing reader succeeded")
	}
	if _, err := d.Open(ctx, "abc-failing"); !errors.Is(err, blobstore.ErrNotFound) {
		t.Fatalf("half-written blob visible: %v", err)
	}
	entries, _ = os.ReadDir(filepath.Join(root, "blobs", "ab"))
	if len(entries) != 0 {
		t.Fatalf("leftovers: %v", entries)
	}
	// Keys cannot escape the directory.
	for _, bad := range []string{"../../etc/passwd", "a/b/c", "..", ""} {
		if _, err := d.Put(ctx, bad, strings.NewReader("x")); err == nil {
			t.Fatalf("key %q accepted", bad)
		}
	}
	if err := d.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := d.Delete(ctx, key); err != nil {
		t.Fatalf("deleting twice: %v", err)
	}
	if _, err := d.Open(ctx, key); !errors.Is(err, blobstore.ErrNotFound) {
		t.Fatalf("open after delete: %v", err)
	}
}

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
		if _, err := d.Put(ctx, k, strings.NewReader(k)); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(root, "ff", keys[2]), old, old); err != nil {
		t.Fatal(err)
	}
	// Not blobs: an unfinished Put's temporary file, a stray file at the
	// root, a file in the wrong shard.
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
	// fn's error stops the walk and is returned.
	stop := errors.New("stop")
	n := 0
	if err := d.Walk(ctx, func(blobstore.Blob) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Fatalf("stop: %v after %d", err, n)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection lost") }
