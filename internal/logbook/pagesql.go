package logbook

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"jalon/internal/auth"
	"jalon/internal/contracts/contractsdb"
	"jalon/internal/logbook/logbookdb"
	"jalon/internal/postgres"
)

// A page of entries is the statement every log-book screen runs, so it is
// written here rather than in logbookdb: its text depends on the request.
//
// One fixed statement with optional parts (`$3 IS NULL OR status = $3`, a
// boolean per extra) made PostgreSQL plan it afresh at every execution:
// a generic plan cannot drop the parts a request leaves out, so it always
// looked dearer than a plan made for the values at hand, and planning
// cost more than running it (≈0.6 ms against ≈0.3 ms for the apprentice's
// page). Here each request's shape is its own text: the parts it does not
// ask for are left out, the caller's role, the status filter and the page
// size (values from small fixed sets, never text from the client) are
// written in as constants, and the rest are parameters. pgx prepares each
// text once per connection; PostgreSQL then keeps a generic plan for the
// shapes whose plan does not depend on the parameters (the first page of
// a contract: planned in ≈0.01 ms) and plans the others per execution as
// before. The rules stay where they are: log_book_contracts() decides who
// may read, filtered_log_entries() what the filter keeps.

// pageShape is what a page statement's text depends on.
type pageShape struct {
	contract  bool // one contract's entries (else those of every readable contract)
	role      auth.Role
	status    Status // "" when not filtered
	from, to  bool   // date bounds given
	updated   bool   // updatedSince given
	after     bool   // a cursor given
	limit     int
	want      Want
	statement string // the statement's name, for traces and logs
}

// pageParams are the values of a page statement's parameters.
type pageParams struct {
	caller       uuid.UUID
	contract     uuid.UUID
	from, to     *time.Time
	updatedSince *time.Time
	afterDate    *time.Time
	afterID      *uuid.UUID
}

// paramKind names the value of a statement's parameter.
type paramKind int

const (
	paramCaller paramKind = iota
	paramFrom
	paramTo
	paramUpdatedSince
	paramContract
	paramAfterDate
	paramAfterID
)

// value is p's value for the parameter.
func (k paramKind) value(p pageParams) any {
	switch k {
	case paramFrom:
		return p.from
	case paramTo:
		return p.to
	case paramUpdatedSince:
		return p.updatedSince
	case paramContract:
		return p.contract
	case paramAfterDate:
		return p.afterDate
	case paramAfterID:
		return p.afterID
	}
	return p.caller
}

// pageStatement is a shape's text and what its parameters are.
type pageStatement struct {
	sql    string
	params []paramKind
}

// pageStatements holds the text of every shape met, built once.
var pageStatements sync.Map // pageShape → pageStatement

// statementText returns the shape's text, built at its first use.
func (s pageShape) statementText() (pageStatement, error) {
	if st, ok := pageStatements.Load(s); ok {
		return st.(pageStatement), nil
	}
	st, err := s.build()
	if err != nil {
		return pageStatement{}, err
	}
	pageStatements.Store(s, st)
	return st, nil
}

// args are the values of the statement's parameters, in order.
func (st pageStatement) args(p pageParams) []any {
	args := make([]any, len(st.params))
	for i, k := range st.params {
		args[i] = k.value(p)
	}
	return args
}

// build writes the shape's statement.
func (s pageShape) build() (pageStatement, error) {
	// The role and the status are written into the text: only known ones.
	if !s.role.Valid() {
		return pageStatement{}, fmt.Errorf("page statement: unknown role %q", s.role)
	}
	if s.status != "" && !s.status.Valid() {
		return pageStatement{}, fmt.Errorf("page statement: unknown status %q", s.status)
	}
	params := []paramKind{paramCaller}
	param := func(k paramKind) string {
		params = append(params, k)
		return "$" + strconv.Itoa(len(params))
	}
	optional := func(given bool, k paramKind, typ string) string {
		if !given {
			return "NULL::" + typ
		}
		return param(k) + "::" + typ
	}
	status := "NULL::text"
	if s.status != "" {
		status = "'" + string(s.status) + "'::text"
	}
	entries := "filtered_log_entries(" + status + ", " + optional(s.from, paramFrom, "date") + ", " +
		optional(s.to, paramTo, "date") + ", " + optional(s.updated, paramUpdatedSince, "timestamptz") + ")"
	contracts := "log_book_contracts($1, '" + string(s.role) + "')"

	var b strings.Builder
	b.WriteString("-- name: " + s.statement + " :many\n")
	// The total of a contract's page is an index-only count of its entries;
	// over every readable contract, the page's statement reads all the
	// matching entries anyway (to sort them), so it counts them as it goes
	// (count(*) OVER ()) instead of planning and joining them a second time;
	// after a cursor, the entries before it count too, so it cannot.
	windowCount := !s.contract && s.want.Count && !s.after
	b.WriteString("WITH page AS (\n    SELECT " + entryColumns + ",\n        " + contractColumns)
	if windowCount {
		b.WriteString(",\n        count(*) OVER () AS total")
	}
	b.WriteString("\n")
	var count string
	if s.contract {
		id := param(paramContract) + "::uuid"
		b.WriteString("    FROM " + contracts + " c\n    JOIN " + entries + " e ON e.contract_id = c.id\n    WHERE c.id = " + id + "\n")
		count = "SELECT count(*) FROM " + entries + " n WHERE n.contract_id = " + id
	} else {
		b.WriteString("    FROM " + entries + " e\n    JOIN " + contracts + " c ON c.id = e.contract_id\n    WHERE true\n")
		count = "SELECT count(*) FROM " + entries + " n JOIN " + contracts + " v ON v.id = n.contract_id"
	}
	if s.after {
		b.WriteString("      AND (e.entry_date, e.id) < (" + param(paramAfterDate) + "::date, " + param(paramAfterID) + "::uuid)\n")
	}
	b.WriteString("    ORDER BY e.entry_date DESC, e.id DESC\n    LIMIT " + strconv.Itoa(s.limit) + "\n)\nSELECT page.*,\n")
	switch {
	case windowCount:
	case s.want.Count:
		b.WriteString("    (" + count + ")::bigint AS total,\n")
	default:
		b.WriteString("    -1::bigint AS total,\n")
	}
	if s.want.Competencies {
		b.WriteString("    k.competency_ids, k.competency_trade_ids, k.competency_codes, k.competency_titles, k.competency_groups, k.competency_positions,\n")
	} else {
		b.WriteString("    NULL::uuid[], NULL::uuid[], NULL::text[], NULL::text[], NULL::text[], NULL::int[],\n")
	}
	if s.want.Attachments {
		b.WriteString("    f.attachment_ids, f.attachment_content_types, f.attachment_sizes, f.attachment_created_ats\n")
	} else {
		b.WriteString("    NULL::uuid[], NULL::text[], NULL::bigint[], NULL::timestamptz[]\n")
	}
	b.WriteString("FROM page\n")
	if s.want.Competencies {
		b.WriteString(competenciesJoin)
	}
	if s.want.Attachments {
		b.WriteString(attachmentsJoin)
	}
	b.WriteString("ORDER BY page.entry_date DESC, page.id DESC")
	return pageStatement{sql: b.String(), params: params}, nil
}

// entryColumns are the entry's columns, in logbookdb.LogEntry's order. Hours are
// numeric in the table; float8 here, so that pgx reads a float instead of
// decoding a numeric through math/big and text.
const entryColumns = `e.id, e.client_id, e.create_digest, e.contract_id, e.entry_date, e.hours::float8, e.activities, e.status,
        e.version, e.submitted_at, e.reviewer_id, e.review_decision, e.review_comment, e.reviewed_at, e.created_at, e.updated_at`

// contractColumns are the page's contract, beside each entry.
const contractColumns = `c.apprentice_id AS contract_apprentice_id, c.company_id AS contract_company_id,
        c.tutor_id AS contract_tutor_id, c.adviser_id AS contract_adviser_id, c.centre_id AS contract_centre_id,
        c.trade_id AS contract_trade_id, c.start_date AS contract_start_date, c.end_date AS contract_end_date,
        c.weekly_hours::float8 AS contract_weekly_hours, c.status AS contract_status,
        c.created_at AS contract_created_at, c.updated_at AS contract_updated_at`

// competenciesJoin gives each entry of the page its competencies in the
// entry's order (as CompetenciesOf): one sort for the six arrays,
// aggregated in one pass over it (an ORDER BY in each aggregate would sort
// six times).
const competenciesJoin = `LEFT JOIN LATERAL (
    SELECT array_agg(s.id)::uuid[] AS competency_ids, array_agg(s.trade_id)::uuid[] AS competency_trade_ids,
        array_agg(s.code)::text[] AS competency_codes, array_agg(s.title)::text[] AS competency_titles,
        array_agg(s.grp)::text[] AS competency_groups, array_agg(s.position)::int[] AS competency_positions
    FROM (
        SELECT k.id, k.trade_id, k.code, k.title, k.grp, k.position
        FROM log_entry_competencies lec JOIN competencies k ON k.id = lec.competency_id
        WHERE lec.log_entry_id = page.id
        ORDER BY lec.position
    ) s
) k ON true
`

// attachmentsJoin gives each entry of the page its attachments, oldest
// first (as AttachmentsOf).
const attachmentsJoin = `LEFT JOIN LATERAL (
    SELECT array_agg(s.id)::uuid[] AS attachment_ids, array_agg(s.content_type)::text[] AS attachment_content_types,
        array_agg(s.size)::bigint[] AS attachment_sizes, array_agg(s.created_at)::timestamptz[] AS attachment_created_ats
    FROM (
        SELECT a.id, a.content_type, a.size, a.created_at FROM log_attachments a
        WHERE a.log_entry_id = page.id
        ORDER BY a.created_at, a.id
    ) s
) f ON true
`

// pageRow is a row of a page statement: the entry, its contract (sqlc's
// row types, so the areas' converters serve), the total and the arrays.
type pageRow struct {
	Entry                  logbookdb.LogEntry
	Contract               contractsdb.Contract
	Total                  int64
	CompetencyIds          []uuid.UUID
	CompetencyTradeIds     []uuid.UUID
	CompetencyCodes        []string
	CompetencyTitles       []string
	CompetencyGroups       []string
	CompetencyPositions    []int32
	AttachmentIds          []uuid.UUID
	AttachmentContentTypes []string
	AttachmentSizes        []int64
	AttachmentCreatedAts   []time.Time
}

// queryPage runs the page statement of shape with p.
func queryPage(ctx context.Context, db postgres.DB, shape pageShape, p pageParams) ([]pageRow, error) {
	st, err := shape.statementText()
	if err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, st.sql, st.args(p)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]pageRow, 0, shape.limit)
	for rows.Next() {
		var r pageRow
		e, c := &r.Entry, &r.Contract
		if err := rows.Scan(&e.ID, &e.ClientID, &e.CreateDigest, &e.ContractID, &e.EntryDate, &e.Hours, &e.Activities,
			&e.Status, &e.Version, &e.SubmittedAt, &e.ReviewerID, &e.ReviewDecision, &e.ReviewComment, &e.ReviewedAt,
			&e.CreatedAt, &e.UpdatedAt, &c.ApprenticeID, &c.CompanyID, &c.TutorID, &c.AdviserID, &c.CentreID,
			&c.TradeID, &c.StartDate, &c.EndDate, &c.WeeklyHours, &c.Status, &c.CreatedAt, &c.UpdatedAt, &r.Total,
			&r.CompetencyIds, &r.CompetencyTradeIds, &r.CompetencyCodes, &r.CompetencyTitles, &r.CompetencyGroups,
			&r.CompetencyPositions, &r.AttachmentIds, &r.AttachmentContentTypes, &r.AttachmentSizes,
			&r.AttachmentCreatedAts); err != nil {
			return nil, err
		}
		c.ID = e.ContractID
		out = append(out, r)
	}
	return out, rows.Err()
}
