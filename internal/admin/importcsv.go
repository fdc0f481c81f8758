package admin

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/admin/admindb"
	"jalon/internal/apperr"
	"jalon/internal/postgres"
)

// ImportColumns are the columns of a contracts CSV file, in any order, with
// this header line first.
var ImportColumns = []string{"apprentice_email", "tutor_email", "adviser_email", "enterprise_number",
	"centre", "trade_code", "start_date", "end_date", "weekly_hours"}

// columnOf maps ContractInput's fields to the CSV's columns.
var columnOf = map[string]string{
	"apprenticeId": "apprentice_email", "tutorId": "tutor_email", "adviserId": "adviser_email",
	"companyId": "enterprise_number", "centreId": "centre", "tradeId": "trade_code",
	"startDate": "start_date", "endDate": "end_date", "weeklyHours": "weekly_hours",
}

// RowError is one bad row of an import.
type RowError struct {
	Line    int
	Column  string
	Message string
}

func (e RowError) String() string {
	if e.Column == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	}
	return fmt.Sprintf("line %d: %s: %s", e.Line, e.Column, e.Message)
}

// ImportError lists every bad row; nothing was imported.
type ImportError struct{ Rows []RowError }

func (e *ImportError) Error() string {
	lines := make([]string, len(e.Rows))
	for i, r := range e.Rows {
		lines[i] = r.String()
	}
	return fmt.Sprintf("%d bad rows, nothing imported:\n%s", len(e.Rows), strings.Join(lines, "\n"))
}

// ImportContracts reads a contracts CSV (see ImportColumns; dates
// YYYY-MM-DD, weekly hours with a dot or a comma), checks every row with the
// rules of CreateContract and, only if all rows are good, creates all the
// contracts (ACTIVE) in one transaction. People are found by e-mail, the
// company by enterprise number, the centre by name or id, the trade by
// code. It is an operator's tool: it runs without a caller, and its audit
// entries have no actor. Bad rows come back as *ImportError.
func (s *Service) ImportContracts(ctx context.Context, r io.Reader) (int, error) {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return 0, fmt.Errorf("read CSV header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, c := range ImportColumns {
		if _, ok := col[c]; !ok {
			return 0, &ImportError{Rows: []RowError{{Line: 1, Column: c, Message: "missing column (header: " + strings.Join(ImportColumns, ",") + ")"}}}
		}
	}
	var (
		inputs []ContractInput
		lines  []int
		bad    []RowError
	)
	firstLine := map[uuid.UUID]int{}
	q := admindb.New(s.DB)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var perr *csv.ParseError
			if !errors.As(err, &perr) {
				return 0, fmt.Errorf("read CSV: %w", err)
			}
			// The reader has consumed the bad record (an unclosed quote runs
			// to the end of the file): go on, so every bad row is reported.
			bad = append(bad, RowError{Line: perr.StartLine, Message: perr.Err.Error()})
			continue
		}
		line, _ := cr.FieldPos(0)
		if msg := unstorable(rec); msg != "" {
			bad = append(bad, RowError{Line: line, Message: msg})
			continue
		}
		get := func(c string) string { return strings.TrimSpace(rec[col[c]]) }
		in, rowErr := parseRow(ctx, q, get)
		if rowErr == nil {
			rowErr = checkContract(ctx, q, in)
		}
		if rowErr == nil {
			if prev, dup := firstLine[in.ApprenticeID]; dup {
				rowErr = apperr.Invalid("apprenticeId", "the apprentice already has a contract on line %d", prev)
			}
		}
		if rowErr != nil {
			e, ok := apperr.As(rowErr)
			if !ok {
				return 0, fmt.Errorf("line %d: %w", line, rowErr)
			}
			bad = append(bad, RowError{Line: line, Column: columnOf[e.Field], Message: e.Message})
			continue
		}
		firstLine[in.ApprenticeID] = line
		inputs = append(inputs, in)
		lines = append(lines, line)
	}
	if len(bad) > 0 {
		return 0, &ImportError{Rows: bad}
	}
	err = postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		for i, in := range inputs {
			if _, err := insertContract(ctx, tx, in); err != nil {
				if e, ok := apperr.As(err); ok {
					return &ImportError{Rows: []RowError{{Line: lines[i], Column: columnOf[e.Field], Message: e.Message}}}
				}
				return fmt.Errorf("line %d: %w", lines[i], err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(inputs), nil
}

// unstorable says why PostgreSQL would refuse a record's text (it is
// looked up as is), or "" when it can be stored.
func unstorable(rec []string) string {
	for _, f := range rec {
		if !utf8.ValidString(f) {
			return "not UTF-8 text"
		}
		if strings.ContainsRune(f, 0) {
			return "contains a NUL character"
		}
	}
	return ""
}

// parseRow resolves a row's natural keys into a ContractInput.
func parseRow(ctx context.Context, q *admindb.Queries, get func(string) string) (ContractInput, error) {
	var in ContractInput
	for _, p := range []struct {
		column, field string
		dst           *uuid.UUID
	}{{"apprentice_email", "apprenticeId", &in.ApprenticeID}, {"tutor_email", "tutorId", &in.TutorID}, {"adviser_email", "adviserId", &in.AdviserID}} {
		id, err := q.UserIDByEmail(ctx, get(p.column))
		if errors.Is(err, pgx.ErrNoRows) {
			return in, apperr.Invalid(p.field, "no user with the e-mail %q", get(p.column))
		}
		if err != nil {
			return in, err
		}
		*p.dst = id
	}
	num, err := NormalizeEnterpriseNumber(get("enterprise_number"))
	if err != nil {
		return in, apperr.Invalid("companyId", "%s", err.(*apperr.Error).Message)
	}
	in.CompanyID, err = q.CompanyIDByEnterpriseNumber(ctx, num)
	if errors.Is(err, pgx.ErrNoRows) {
		return in, apperr.Invalid("companyId", "no company with the enterprise number %s", num)
	}
	if err != nil {
		return in, err
	}
	centre := get("centre")
	if id, perr := uuid.Parse(centre); perr == nil {
		in.CentreID = id
	} else {
		ids, err := q.CentreIDsByName(ctx, centre)
		if err != nil {
			return in, err
		}
		switch len(ids) {
		case 0:
			return in, apperr.Invalid("centreId", "no training centre named %q", centre)
		case 2:
			return in, apperr.Invalid("centreId", "several training centres are named %q: give its id", centre)
		}
		in.CentreID = ids[0]
	}
	in.TradeID, err = q.TradeIDByCode(ctx, get("trade_code"))
	if errors.Is(err, pgx.ErrNoRows) {
		return in, apperr.Invalid("tradeId", "no trade with the code %q", get("trade_code"))
	}
	if err != nil {
		return in, err
	}
	if in.StartDate, err = time.Parse(time.DateOnly, get("start_date")); err != nil {
		return in, apperr.Invalid("startDate", "a date as YYYY-MM-DD")
	}
	if in.EndDate, err = time.Parse(time.DateOnly, get("end_date")); err != nil {
		return in, apperr.Invalid("endDate", "a date as YYYY-MM-DD")
	}
	if in.WeeklyHours, err = strconv.ParseFloat(strings.Replace(get("weekly_hours"), ",", ".", 1), 64); err != nil {
		return in, apperr.Invalid("weeklyHours", "a number of hours, e.g. 28 or 28.5")
	}
	return in, nil
}
