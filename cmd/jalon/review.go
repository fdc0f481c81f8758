package main

import (
	"context"
	"fmt"
	"io"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"jalon/internal/clock"
	"jalon/internal/config"
	"jalon/internal/postgres"
	"jalon/internal/reviewlink"
	"jalon/internal/seed"
	"jalon/internal/service"
)

// printDemoReviewLinks issues a review link to each demo tutor (the French
// one, and the Dutch one whose apprentice has an evaluation in progress) and
// prints them: what an e-mail would carry, to open the review page locally.
// Each call issues new links; they work JALON_REVIEW_LINK_TTL, against a
// server with the same JALON_URL_SIGNING_KEY, at JALON_PUBLIC_URL.
func printDemoReviewLinks(ctx context.Context, pool *pgxpool.Pool, cfg config.Config, out io.Writer) error {
	links := &reviewlink.Service{Base: service.Base{DB: pool, Clock: clock.Real{}, Log: zerolog.Nop()},
		Key: cfg.URLSigning, TTL: cfg.ReviewLinkTTL, PublicURL: cfg.PublicURL}
	tutors := []struct {
		id    uuid.UUID
		email string
	}{
		{seed.Tutor1ID, "tuteur.menuiserie@jalon.test"},
		{seed.Tutor2ID, "tutor.schreinerei@jalon.test"},
	}
	fmt.Fprintf(out, "review pages of the demo tutors (as their e-mails would link them; valid %s):\n", cfg.ReviewLinkTTL)
	for _, tutor := range tutors {
		var link string
		err := postgres.InTx(ctx, pool, func(tx pgx.Tx) error {
			var err error
			link, err = links.ReviewLink(ctx, tx, tutor.id)
			return err
		})
		if err != nil {
			return fmt.Errorf("review link of %s: %w", tutor.email, err)
		}
		fmt.Fprintf(out, "  %-30s %s\n", tutor.email, link)
	}
	return nil
}
