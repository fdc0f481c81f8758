package loadcompare

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"jalon/internal/auth"
	"jalon/internal/clock"
)

// handWritten is the yardstick of issue 12: the two screens written by hand
// with net/http, pgxpool and encoding/json, as a careful engineer would
// without a GraphQL server. It checks the access token with Jalon's own
// verification (auth.Tokens: signature, kid, issuer, audience, expiry,
// lifetime, session id), then runs the same session lookup as Jalon (the
// user is active and the token's session family not revoked, the role read
// from the database), and applies the same authorization (a contract is
// visible to its apprentice, tutor and adviser, and to admins). Three
// statements per request, the session lookup included; uuids go to pgx as
// pgtype.UUID (its fast path). It logs nothing per request.
type handWritten struct {
	pool   *pgxpool.Pool
	tokens *auth.Tokens
}

// The session lookup of auth.Authenticator (authdb's Caller query).
const sqlCaller = `SELECT u.role, u.active,
    EXISTS (SELECT 1 FROM sessions s
        WHERE s.family_id = $2 AND s.user_id = u.id AND s.revoked_at IS NULL)
FROM users u WHERE u.id = $1`

// statements are the screens' queries for one kind of caller: an admin sees
// every contract, anyone else the contracts they are a member of. The role
// is decided here rather than in SQL, so that each prepared statement plans
// with the indexes on the member columns.
type statements struct {
	// One page of a contract's entries, newest first, with its total and
	// each entry's reviewer, if the caller ($2) may see the contract (no
	// row otherwise, or when it has no entry: contractVisible tells apart).
	contractPage string
	// Whether the caller ($2) may see the contract ($1).
	contractVisible string
	// One page of the SUBMITTED entries over every contract the caller
	// ($1) may see, newest first, with the total and the apprentice's name.
	// The status is written out, so the partial index
	// log_entries_submitted_idx serves it.
	waiting string
}

func newStatements(visible func(caller string) string) statements {
	return statements{
		contractPage: `SELECT n.total, e.id, e.entry_date, e.hours::float8, e.activities, e.status, e.version, e.updated_at,
    e.review_decision, e.review_comment, e.reviewed_at, r.first_name, r.last_name
FROM contracts c
CROSS JOIN LATERAL (SELECT count(*) AS total FROM log_entries x WHERE x.contract_id = c.id) n
CROSS JOIN LATERAL (
    SELECT * FROM log_entries x WHERE x.contract_id = c.id
    ORDER BY x.entry_date DESC, x.id DESC LIMIT $3) e
LEFT JOIN users r ON r.id = e.reviewer_id
WHERE c.id = $1 AND ` + visible("$2") + `
ORDER BY e.entry_date DESC, e.id DESC`,
		contractVisible: `SELECT EXISTS (SELECT 1 FROM contracts c WHERE c.id = $1 AND ` + visible("$2") + `)`,
		waiting: `SELECT count(*) OVER () AS total, e.id, e.entry_date, e.hours::float8, e.activities, e.submitted_at,
    c.id, a.first_name, a.last_name
FROM log_entries e
JOIN contracts c ON c.id = e.contract_id
JOIN users a ON a.id = c.apprentice_id
WHERE e.status = 'SUBMITTED' AND ` + visible("$1") + `
ORDER BY e.entry_date DESC, e.id DESC
LIMIT $2`,
	}
}

var (
	forMembers = newStatements(func(caller string) string {
		return "(c.apprentice_id = " + caller + " OR c.tutor_id = " + caller + " OR c.adviser_id = " + caller + ")"
	})
	// The caller's id is still a parameter (typed, unused).
	forAdmins = newStatements(func(caller string) string { return caller + "::uuid IS NOT NULL" })
)

// The competencies of the listed entries, in each entry's order.
const sqlCompetencies = `SELECT lec.log_entry_id, k.code, k.title
FROM log_entry_competencies lec JOIN competencies k ON k.id = lec.competency_id
WHERE lec.log_entry_id = ANY($1)
ORDER BY lec.position`

// The answers, fields in the documents' order.
type (
	pageInfo struct {
		HasNextPage bool    `json:"hasNextPage"`
		EndCursor   *string `json:"endCursor"`
	}
	competency struct {
		Code  string `json:"code"`
		Title string `json:"title"`
	}
	person struct {
		FirstName string `json:"firstName"`
		LastName  string `json:"lastName"`
	}
	review struct {
		Decision   string `json:"decision"`
		Comment    string `json:"comment"`
		ReviewedAt string `json:"reviewedAt"`
		Reviewer   person `json:"reviewer"`
	}
	pageEntry struct {
		ID           uuid.UUID    `json:"id"`
		Date         string       `json:"date"`
		Hours        float64      `json:"hours"`
		Activities   string       `json:"activities"`
		Status       string       `json:"status"`
		Version      int32        `json:"version"`
		UpdatedAt    string       `json:"updatedAt"`
		Competencies []competency `json:"competencies"`
		Review       *review      `json:"review"`
	}
	entryContract struct {
		ID         uuid.UUID `json:"id"`
		Apprentice person    `json:"apprentice"`
	}
	waitingEntry struct {
		ID           uuid.UUID     `json:"id"`
		Date         string        `json:"date"`
		Hours        float64       `json:"hours"`
		Activities   string        `json:"activities"`
		SubmittedAt  *string       `json:"submittedAt"`
		Contract     entryContract `json:"contract"`
		Competencies []competency  `json:"competencies"`
	}
	connection[T any] struct {
		TotalCount int64    `json:"totalCount"`
		PageInfo   pageInfo `json:"pageInfo"`
		Nodes      []T      `json:"nodes"`
	}
	answer[T any] struct {
		Data struct {
			LogEntries connection[T] `json:"logEntries"`
		} `json:"data"`
	}
	location struct {
		Line   int `json:"line"`
		Column int `json:"column"`
	}
	fieldError struct {
		Message    string     `json:"message"`
		Path       []string   `json:"path"`
		Locations  []location `json:"locations"`
		Extensions struct {
			Code string `json:"code"`
		} `json:"extensions"`
	}
	errorAnswer struct {
		Errors []fieldError `json:"errors"`
		Data   *struct{}    `json:"data"`
	}
)

// cursor is Jalon's opaque keyset cursor: base64url of {"t": date, "i": id}.
type cursor struct {
	Time time.Time `json:"t,omitzero"`
	ID   uuid.UUID `json:"i"`
}

func endCursor(date time.Time, id uuid.UUID) *string {
	b, _ := json.Marshal(cursor{Time: date, ID: id})
	s := base64.RawURLEncoding.EncodeToString(b)
	return &s
}

// errRefused is an answer of the field logEntries with an error code.
type errRefused struct{ code, message string }

func (e errRefused) Error() string { return e.message }

var (
	unauthenticated  = errRefused{"UNAUTHENTICATED", "authentication required"}
	contractNotFound = errRefused{"NOT_FOUND", "contract not found"}
)

type caller struct {
	id  pgtype.UUID
	sql *statements
}

func (h *handWritten) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/graphql" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	var req struct {
		Query     string `json:"query"`
		Variables struct {
			C string `json:"c"`
		} `json:"variables"`
	}
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil || (req.Query != ApprenticePage && req.Query != WaitingList) {
		http.Error(w, "this server answers two documents only", http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	var out any
	who, err := h.authenticate(ctx, r.Header.Get("Authorization"))
	if err == nil {
		if req.Query == ApprenticePage {
			out, err = h.contractPage(ctx, who, req.Variables.C)
		} else {
			out, err = h.waiting(ctx, who)
		}
	}
	var refused errRefused
	if errors.As(err, &refused) {
		// logEntries is on line 2, column 3 of both documents.
		e := fieldError{Message: refused.message, Path: []string{"logEntries"}, Locations: []location{{2, 3}}}
		e.Extensions.Code = refused.code
		out, err = errorAnswer{Errors: []fieldError{e}}, nil
	}
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(b)
}

// authenticate is auth.Authenticator's check: the token, then the session
// lookup. A refused token leaves the request anonymous (UNAUTHENTICATED).
func (h *handWritten) authenticate(ctx context.Context, header string) (caller, error) {
	token, ok := auth.BearerToken(header)
	if !ok {
		return caller{}, unauthenticated
	}
	p, err := h.tokens.Verify(token)
	if err != nil {
		return caller{}, unauthenticated
	}
	var role string
	var active, live bool
	err = h.pool.QueryRow(ctx, sqlCaller, pgtype.UUID{Bytes: p.UserID, Valid: true},
		pgtype.UUID{Bytes: p.SessionID, Valid: true}).Scan(&role, &active, &live)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && (!active || !live)) {
		return caller{}, unauthenticated
	}
	if err != nil {
		return caller{}, err
	}
	who := caller{id: pgtype.UUID{Bytes: p.UserID, Valid: true}, sql: &forMembers}
	if role == string(auth.Admin) {
		who.sql = &forAdmins
	}
	return who, nil
}

func (h *handWritten) contractPage(ctx context.Context, who caller, contractID string) (any, error) {
	id, err := uuid.Parse(contractID)
	if err != nil {
		return nil, contractNotFound
	}
	contract := pgtype.UUID{Bytes: id, Valid: true}
	rows, err := h.pool.Query(ctx, who.sql.contractPage, contract, who.id, pageSize+1)
	if err != nil {
		return nil, err
	}
	var out answer[pageEntry]
	conn := &out.Data.LogEntries
	conn.Nodes = make([]pageEntry, 0, pageSize+1)
	var dates []time.Time
	for rows.Next() {
		var (
			e                 pageEntry
			eid               pgtype.UUID
			date, updated     time.Time
			decision, comment *string
			reviewedAt        *time.Time
			first, last       *string
		)
		if err := rows.Scan(&conn.TotalCount, &eid, &date, &e.Hours, &e.Activities, &e.Status, &e.Version, &updated,
			&decision, &comment, &reviewedAt, &first, &last); err != nil {
			rows.Close()
			return nil, err
		}
		e.ID, e.Date, e.UpdatedAt = eid.Bytes, date.Format(time.DateOnly), updated.In(clock.Brussels).Format(time.RFC3339)
		if decision != nil && reviewedAt != nil && first != nil {
			e.Review = &review{Decision: *decision, ReviewedAt: reviewedAt.In(clock.Brussels).Format(time.RFC3339),
				Reviewer: person{FirstName: *first, LastName: *last}}
			if comment != nil {
				e.Review.Comment = *comment
			}
		}
		conn.Nodes = append(conn.Nodes, e)
		dates = append(dates, date)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(conn.Nodes) == 0 {
		// No entry, or not the caller's contract.
		var visible bool
		if err := h.pool.QueryRow(ctx, who.sql.contractVisible, contract, who.id).Scan(&visible); err != nil {
			return nil, err
		}
		if !visible {
			return nil, contractNotFound
		}
		return out, nil
	}
	if len(conn.Nodes) > pageSize {
		conn.Nodes, conn.PageInfo.HasNextPage = conn.Nodes[:pageSize], true
	}
	last := len(conn.Nodes) - 1
	conn.PageInfo.EndCursor = endCursor(dates[last], conn.Nodes[last].ID)
	ids := make([]pgtype.UUID, len(conn.Nodes))
	byID := make(map[uuid.UUID]*[]competency, len(conn.Nodes))
	for i := range conn.Nodes {
		n := &conn.Nodes[i]
		ids[i] = pgtype.UUID{Bytes: n.ID, Valid: true}
		n.Competencies = make([]competency, 0, 2)
		byID[n.ID] = &n.Competencies
	}
	return out, h.competencies(ctx, ids, byID)
}

func (h *handWritten) waiting(ctx context.Context, who caller) (any, error) {
	rows, err := h.pool.Query(ctx, who.sql.waiting, who.id, pageSize+1)
	if err != nil {
		return nil, err
	}
	var out answer[waitingEntry]
	conn := &out.Data.LogEntries
	conn.Nodes = make([]waitingEntry, 0, pageSize+1)
	var dates []time.Time
	for rows.Next() {
		var (
			e              waitingEntry
			eid, cid       pgtype.UUID
			date           time.Time
			submittedAt    *time.Time
			first, lastNam string
		)
		if err := rows.Scan(&conn.TotalCount, &eid, &date, &e.Hours, &e.Activities, &submittedAt,
			&cid, &first, &lastNam); err != nil {
			rows.Close()
			return nil, err
		}
		e.ID, e.Date = eid.Bytes, date.Format(time.DateOnly)
		if submittedAt != nil {
			s := submittedAt.In(clock.Brussels).Format(time.RFC3339)
			e.SubmittedAt = &s
		}
		e.Contract = entryContract{ID: cid.Bytes, Apprentice: person{FirstName: first, LastName: lastNam}}
		conn.Nodes = append(conn.Nodes, e)
		dates = append(dates, date)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(conn.Nodes) == 0 {
		return out, nil
	}
	if len(conn.Nodes) > pageSize {
		conn.Nodes, conn.PageInfo.HasNextPage = conn.Nodes[:pageSize], true
	}
	last := len(conn.Nodes) - 1
	conn.PageInfo.EndCursor = endCursor(dates[last], conn.Nodes[last].ID)
	ids := make([]pgtype.UUID, len(conn.Nodes))
	byID := make(map[uuid.UUID]*[]competency, len(conn.Nodes))
	for i := range conn.Nodes {
		n := &conn.Nodes[i]
		ids[i] = pgtype.UUID{Bytes: n.ID, Valid: true}
		n.Competencies = make([]competency, 0, 2)
		byID[n.ID] = &n.Competencies
	}
	return out, h.competencies(ctx, ids, byID)
}

// competencies appends each listed entry's competencies to its list.
func (h *handWritten) competencies(ctx context.Context, ids []pgtype.UUID, byID map[uuid.UUID]*[]competency) error {
	rows, err := h.pool.Query(ctx, sqlCompetencies, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id pgtype.UUID
		var c competency
		if err := rows.Scan(&id, &c.Code, &c.Title); err != nil {
			return err
		}
		if list := byID[id.Bytes]; list != nil {
			*list = append(*list, c)
		}
	}
	return rows.Err()
}
