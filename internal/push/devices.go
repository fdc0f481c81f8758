package push

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
	"jalon/internal/push/pushdb"
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
func (s *Service) RegisterDevice(ctx context.Context, in DeviceInput) (Device, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return Device{}, err
	}
	if in, err = in.valid(); err != nil {
		return Device{}, err
	}
	var d Device
	err = postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		q := pushdb.New(tx)
		r, err := q.RegisterDevice(ctx, pushdb.RegisterDeviceParams{
			UserID: p.UserID, Token: in.Token, Platform: string(in.Platform), Locale: in.Locale,
			AppVersion: in.AppVersion, Now: s.Clock.Now(),
		})
		if err != nil {
			return fmt.Errorf("register device: %w", err)
		}
		d = devices([]pushdb.DevicesRow{pushdb.DevicesRow(r)})[0]
		if err := q.PruneDevices(ctx, pushdb.PruneDevicesParams{UserID: p.UserID, Keep: MaxDevices}); err != nil {
			return fmt.Errorf("register device: prune: %w", err)
		}
		return nil
	})
	return d, err
}

// valid returns in cleaned up, or VALIDATION_FAILED.
func (in DeviceInput) valid() (DeviceInput, error) {
	in.Token = strings.TrimSpace(in.Token)
	switch {
	case in.Token == "" || len(in.Token) > 4096:
		return in, apperr.Invalid("token", "must be 1 to 4096 characters")
	case in.Platform != Android && in.Platform != IOS && in.Platform != Web:
		return in, apperr.Invalid("platform", "unknown platform")
	case len(in.AppVersion) > 50:
		return in, apperr.Invalid("appVersion", "at most 50 characters")
	}
	in.Locale = strings.ToUpper(strings.TrimSpace(in.Locale))
	if in.Locale == "" {
		in.Locale = "FR"
	}
	switch in.Locale {
	case "FR", "NL", "DE", "EN":
	default:
		return in, apperr.Invalid("locale", "one of FR, NL, DE, EN")
	}
	return in, nil
}

// UnregisterDevice removes the caller's device with token. It reports false
// when the caller has no such device (someone else's token is left alone).
func (s *Service) UnregisterDevice(ctx context.Context, token string) (bool, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return false, err
	}
	n, err := s.q().UnregisterDevice(ctx, pushdb.UnregisterDeviceParams{Token: strings.TrimSpace(token), UserID: p.UserID})
	if err != nil {
		return false, fmt.Errorf("unregister device: %w", err)
	}
	return n > 0, nil
}

// Devices returns the caller's devices, most recently seen first.
func (s *Service) Devices(ctx context.Context) ([]Device, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.q().Devices(ctx, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	return devices(rows), nil
}

// VisibleDevices returns the caller's devices among ids, any order (someone
// else's are left out, as if absent). Relay's node lookup uses it.
func (s *Service) VisibleDevices(ctx context.Context, ids []uuid.UUID) ([]Device, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.q().VisibleDevices(ctx, pushdb.VisibleDevicesParams{UserID: p.UserID, Ids: ids})
	if err != nil {
		return nil, fmt.Errorf("get devices: %w", err)
	}
	return devices(rows), nil
}

// deviceRow is any sqlc row with the columns of a Device, in its order.
type deviceRow interface {
	pushdb.DevicesRow | pushdb.VisibleDevicesRow
}

func devices[R deviceRow](rows []R) []Device {
	out := make([]Device, len(rows))
	for i, r := range rows {
		d := pushdb.DevicesRow(r)
		out[i] = Device{ID: d.ID, UserID: d.UserID, Platform: Platform(d.Platform), Locale: d.Locale,
			AppVersion: d.AppVersion, CreatedAt: d.CreatedAt, LastSeenAt: d.LastSeenAt}
	}
	return out
}
