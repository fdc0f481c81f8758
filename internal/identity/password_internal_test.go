package identity

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestHashingWaitsForASlot(t *testing.T) {
	t.Parallel()
	h := NewHasher(DefaultParams, 2)
	// Both slots taken, as by two hashes in progress.
	h.sem <- struct{}{}
	h.sem <- struct{}{}
	done := make(chan error, 1)
	go func() {
		_, err := h.Hash(context.Background(), "waiting")
		done <- err
	}()
	select {
	case <-done:
		t.Fatal("a third hash ran while both slots were taken")
	case <-time.After(100 * time.Millisecond):
	}
	h.release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// A caller that gives up does not wait for a slot.
	h.sem <- struct{}{}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, _, err := h.Verify(ctx, "", "x"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want the deadline, got %v", err)
	}
}
