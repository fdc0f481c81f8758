// Package logging builds the process logger from configuration.
package logging

import (
	"io"
	"os"
	"time"

	"github.com/rs/zerolog"

	"jalon/internal/config"
)

// New returns a zerolog logger writing JSON lines, or a readable console
// format in development, at the configured level.
func New(cfg config.Config, w io.Writer) zerolog.Logger {
	if w == nil {
		w = os.Stderr
	}
	if cfg.LogFormat == "console" {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
	}
	level, err := zerolog.ParseLevel(cfg.LogLevel)
	if err != nil || cfg.LogLevel == "" {
		level = zerolog.InfoLevel
	}
	return zerolog.New(w).Level(level).With().Timestamp().Logger()
}
