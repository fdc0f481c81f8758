// Package blobstore keeps uploaded files (log-book photos, documents) outside
// the database, behind a small interface so a deployment can swap the local
// directory for an object store.
package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// ErrNotFound means no blob has the key.
var ErrNotFound = errors.New("blob not found")

// Store keeps blobs by key. Keys are made of letters, digits and '-' (ids).
type Store interface {
	// Put stores r under key, atomically: a reader sees the whole blob or none.
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	// Open returns the blob (ErrNotFound when missing).
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes the blob; deleting a missing blob is not an error.
	Delete(ctx context.Context, key string) error
	// Walk calls fn for every blob in the store, in no particular order,
	// and stops at fn's first error, which it returns. Blobs put or deleted
	// during the walk may or may not be seen.
	Walk(ctx context.Context, fn func(Blob) error) error
}

// Blob describes a stored blob.
type Blob struct {
	Key     string
	ModTime time.Time // when it was last written
}

// Dir is a Store on a local directory.
type Dir struct{ root string }

// NewDir returns a Store writing under root, created if needed.
func NewDir(root string) (*Dir, error) {
	if err := os.MkdirAll(root, 0o750); err != nil {
		return nil, fmt.Errorf("blob directory: %w", err)
	}
	return &Dir{root: root}, nil
}

func validKey(key string) bool {
	if len(key) < 3 || len(key) > 200 {
		return false
	}
	for _, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// path shards blobs by the key's first two characters.
func (d *Dir) path(key string) (string, error) {
	if !validKey(key) {
		return "", fmt.Errorf("invalid blob key %q", key)
	}
	return filepath.Join(d.root, key[:2], key), nil
}

// Put writes to a temporary file in the target directory, fsyncs it, renames
// it into place and fsyncs the directory, so a crash leaves either the whole
// blob or nothing under key.
func (d *Dir) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	p, err := d.path(key)
	if err != nil {
		return 0, err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return 0, fmt.Errorf("put blob: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return 0, fmt.Errorf("put blob: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	n, err := io.Copy(tmp, r)
	if err != nil {
		return 0, fmt.Errorf("put blob: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := tmp.Sync(); err != nil {
		return 0, fmt.Errorf("put blob: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return 0, fmt.Errorf("put blob: %w", err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return 0, fmt.Errorf("put blob: %w", err)
	}
	done = true
	if f, err := os.Open(dir); err == nil {
		f.Sync()
		f.Close()
	}
	return n, nil
}

// Open returns the blob under key.
func (d *Dir) Open(_ context.Context, key string) (io.ReadCloser, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, ErrNotFound
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("open blob: %w", err)
	}
	return f, nil
}

// Delete removes the blob under key.
func (d *Dir) Delete(_ context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("delete blob: %w", err)
	}
	return nil
}

// Walk lists the shard directories one at a time, so memory stays bounded by
// the largest shard. Temporary files of unfinished Puts and names that are
// not valid keys are not blobs and are skipped.
func (d *Dir) Walk(ctx context.Context, fn func(Blob) error) error {
	shards, err := os.ReadDir(d.root)
	if err != nil {
		return fmt.Errorf("walk blobs: %w", err)
	}
	for _, sh := range shards {
		if !sh.IsDir() || len(sh.Name()) != 2 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		entries, err := os.ReadDir(filepath.Join(d.root, sh.Name()))
		if err != nil {
			return fmt.Errorf("walk blobs: %w", err)
		}
		for _, e := range entries {
			name := e.Name()
			if !e.Type().IsRegular() || !validKey(name) || name[:2] != sh.Name() {
				continue
			}
			info, err := e.Info()
			if errors.Is(err, os.ErrNotExist) {
				continue // deleted since the directory was read
			}
			if err != nil {
				return fmt.Errorf("walk blobs: %w", err)
			}
			if err := fn(Blob{Key: name, ModTime: info.ModTime()}); err != nil {
				return err
			}
		}
	}
	return nil
}
