package notify

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/apperr"
	"jalon/internal/auth"
	"jalon/internal/postgres"
)

// MaxDevices is how many devices a user keeps; registering one more drops
// the one seen least recently.
const MaxDevices = 10

// Platform of a device.
type Platform string

const (
	Android Platform = "ANDROID"
	IOS     Platform = "IOS"
	Web     Platform = "WEB"
)

// Device is a phone or browser that receives push. Its token is never
// logged nor shown back (clients know their own token).
type Device struct {
	ID         uuid.UUID
	UserID     uuid.UUID
	Platform   Platform
	Locale     string
	AppVersion string
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// DeviceInput registers a device.
type DeviceInput struct {
	Token      string
	Platform   Platform
	Locale     string
	AppVersion string
}

// RegisterDevice records the caller's device. Registering a token again
// refreshes it and moves it to the caller (a shared family phone); a user
// keeps at most MaxDevices, the least recently seen is dropped.
// VALIDATION_FAILED (token, platform, locale) on a bad value.
func RegisterDevice(ctx context.Context, db postgres.DB, now time.Time, in DeviceInput) (Device, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return Device{}, err
	}
	in.Token = strings.TrimSpace(in.Token)
	switch {
	case in.Token == "" || len(in.Token) > 4096:
		return Device{}, apperr.Invalid("token", "must be 1 to 4096 characters")
	case in.Platform != Android && in.Platform != IOS && in.Platform != Web:
		return Device{}, apperr.Invalid("platform", "unknown platform")
	case len(in.AppVersion) > 50:
		return Device{}, apperr.Invalid("appVersion", "at most 50 characters")
	}
	in.Locale = strings.ToUpper(strings.TrimSpace(in.Locale))
	if in.Locale == "" {
		in.Locale = "FR"
	}
	switch in.Locale {
	case "FR", "NL", "DE", "EN":
	default:
		return Device{}, apperr.Invalid("locale", "one of FR, NL, DE, EN")
	}
	var d Device
	err = postgres.InTx(ctx, db, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO devices (user_id, token, platform, locale, app_version, created_at, last_seen_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6)
			ON CONFLICT (token) DO UPDATE SET user_id = EXCLUDED.user_id, platform = EXCLUDED.platform,
				locale = EXCLUDED.locale, app_version = EXCLUDED.app_version, last_seen_at = EXCLUDED.last_seen_at,
				created_at = CASE WHEN devices.user_id = EXCLUDED.user_id THEN devices.created_at ELSE EXCLUDED.created_at END
			RETURNING id, user_id, platform, locale, app_version, created_at, last_seen_at`,
			p.UserID, in.Token, in.Platform, in.Locale, in.AppVersion, now).
			Scan(&d.ID, &d.UserID, &d.Platform, &d.Locale, &d.AppVersion, &d.CreatedAt, &d.LastSeenAt)
		if err != nil {
			return fmt.Errorf("register device: %w", err)
		}
		_, err = tx.Exec(ctx, `DELETE FROM devices WHERE id IN (
			SELECT id FROM devices WHERE user_id = $1
			ORDER BY last_seen_at DESC, created_at DESC, id DESC OFFSET $2)`, p.UserID, MaxDevices)
		if err != nil {
			return fmt.Errorf("register device: prune: %w", err)
		}
		return nil
	})
	return d, err
}

// UnregisterDevice removes the caller's device with token. It reports false
// when the caller has no such device (someone else's token is left alone).
func UnregisterDevice(ctx context.Context, db postgres.DB, token string) (bool, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return false, err
	}
	tag, err := db.Exec(ctx, `DELETE FROM devices WHERE token = $1 AND user_id = $2`, strings.TrimSpace(token), p.UserID)
	if err != nil {
		return false, fmt.Errorf("unregister device: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}

// Devices returns the caller's devices, most recently seen first.
func Devices(ctx context.Context, db postgres.DB) ([]Device, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, `SELECT `+deviceColumns+`
		FROM devices WHERE user_id = $1 ORDER BY last_seen_at DESC, id DESC`, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	return pgx.CollectRows(rows, scanDevice)
}

const deviceColumns = `id, user_id, platform, locale, app_version, created_at, last_seen_at`

func scanDevice(r pgx.CollectableRow) (Device, error) {
	var d Device
	err := r.Scan(&d.ID, &d.UserID, &d.Platform, &d.Locale, &d.AppVersion, &d.CreatedAt, &d.LastSeenAt)
	return d, err
}

// VisibleDevices returns the caller's devices among ids, any order (someone
// else's are left out, as if absent). Relay's node lookup uses it.
func VisibleDevices(ctx context.Context, db postgres.DB, ids []uuid.UUID) ([]Device, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, `SELECT `+deviceColumns+` FROM devices
		WHERE user_id = $1 AND id = ANY($2::uuid[])`, p.UserID, ids)
	if err != nil {
		return nil, fmt.Errorf("get devices: %w", err)
	}
	return pgx.CollectRows(rows, scanDevice)
}
