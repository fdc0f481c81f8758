package identity_test

import (
	"context"
	"strings"
	"testing"

	"jalon/internal/identity"
)

func TestHasherPHCAndConcurrencyBound(t *testing.T) {
	t.Parallel()
	h := identity.NewHasher(identity.DefaultParams, 1)
	ctx := context.Background()
	phc, err := h.Hash(ctx, "un mot de passe")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=19456,t=2,p=1$") || len(strings.Split(phc, "$")) != 6 {
		t.Fatalf("not a PHC string: %s", phc)
	}
	if ok, rehash, _ := h.Verify(ctx, phc, "un mot de passe"); !ok || rehash {
		t.Fatalf("verify: ok=%v rehash=%v", ok, rehash)
	}
	if ok, _, _ := h.Verify(ctx, phc, "un autre"); ok {
		t.Fatal("wrong password accepted")
	}
	if ok, _, _ := h.Verify(ctx, "$argon2id$garbage", "x"); ok {
		t.Fatal("corrupt hash accepted")
	}
	// Stronger parameters ask for a re-hash of a good password.
	stronger := identity.NewHasher(identity.Params{MemoryKiB: 19 * 1024, Time: 3, Threads: 1}, 1)
	if ok, rehash, _ := stronger.Verify(ctx, phc, "un mot de passe"); !ok || !rehash {
		t.Fatalf("stronger params: ok=%v rehash=%v", ok, rehash)
	}

}

func BenchmarkHash(b *testing.B) {
	h := identity.NewHasher(identity.DefaultParams, 2)
	ctx := context.Background()
	for b.Loop() {
		h.Hash(ctx, "correct horse battery")
	}
}
