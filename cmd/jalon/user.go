package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"jalon/internal/auth"
	"jalon/internal/clock"
	"jalon/internal/config"
	"jalon/internal/identity"
	"jalon/internal/service"
	"jalon/internal/users"
)

// userCmd runs `jalon user add ...`: it creates a user, reading the password
// from standard input (first line), so an operator can bootstrap the first
// admin without the password showing in the shell history or process list.
func userCmd(ctx context.Context, cfg config.Config, args []string, stdin io.Reader, out io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New("usage: jalon user add --role ROLE --email E --first-name F --last-name L [--locale FR] [--company-id ID] < password")
	}
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	role := fs.String("role", "", "APPRENTICE, TUTOR, ADVISER or ADMIN")
	email := fs.String("email", "", "e-mail address (the login)")
	first := fs.String("first-name", "", "first name")
	last := fs.String("last-name", "", "last name")
	locale := fs.String("locale", "FR", "FR, NL, DE or EN")
	company := fs.String("company-id", "", "company id (tutors)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read password from standard input: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	in := identity.NewUser{
		Email: *email, FirstName: *first, LastName: *last,
		Role: auth.Role(strings.ToUpper(*role)), Password: &password,
	}
	loc := users.Locale(strings.ToUpper(*locale))
	in.Locale = &loc
	if *company != "" {
		id, err := uuid.Parse(*company)
		if err != nil {
			return errors.New("--company-id: not a UUID")
		}
		in.CompanyID = &id
	}
	pool, err := connectMigrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	base := service.Base{DB: pool, Clock: clock.Real{}, Log: zerolog.Nop()}
	svc := identity.New(base, cfg, auth.NewTokens(cfg.JWT, base.Clock), identity.HasherFrom(cfg.Identity))
	u, err := svc.AddUser(ctx, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "created %s %s (%s)\n", u.Role, u.Email, u.ID)
	return nil
}
