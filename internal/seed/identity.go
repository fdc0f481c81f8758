package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/identity"
)

// seedIdentity gives every demo user the password DemoPassword, hashed as
// logins expect it, where no password is set yet: running it again (or after
// someone changed their password) changes nothing.
func seedIdentity(ctx context.Context, tx pgx.Tx, now time.Time) error {
	ids := make([]uuid.UUID, len(demoUsers))
	for i, u := range demoUsers {
		ids[i] = u.id
	}
	var missing bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = ANY($1) AND password_hash IS NULL)`, ids).Scan(&missing); err != nil {
		return fmt.Errorf("demo passwords: %w", err)
	}
	if !missing {
		return nil
	}
	hash, err := identity.NewHasher(identity.DefaultParams, 1).Hash(ctx, DemoPassword)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = ANY($1) AND password_hash IS NULL`, ids, hash); err != nil {
		return fmt.Errorf("demo passwords: %w", err)
	}
	return nil
}
