package followup

// A Rule says when something is due, as one SQL SELECT over the current data:
// every row it returns is a follow-up that should be OPEN now. The engine
// (Scan) turns it into one set-based INSERT ... SELECT ... ON CONFLICT DO
// UPDATE (reopening a DONE follow-up of the same period) and one set-based
// auto-close, so adding a rule is adding one entry
// here.
//
// The query gets $1 = now (timestamptz) and $2 = today in Brussels (date) —
// it must mention both, cast ($1::timestamptz, $2::date), so PostgreSQL
// knows their types — then, from $4 on, what Args returns for the service's
// Escalation (each mentioned with its cast; $3 is the engine's), and returns
// exactly these columns, in this order:
//
//	contract_id uuid, owner_id uuid, subject_id uuid,
//	period text      -- the period key: one follow-up per rule, subject, owner and period
//	                    (timestamps in it are written in UTC, whatever the session's TimeZone)
//	due_at timestamptz,
//	params jsonb     -- the placeholders of the notification text (internal/i18n, "notification")
//	link text        -- the deep link of the follow-up and its notification
type Rule struct {
	Kind  Kind
	Query string
	// Args are the rule's settings, passed as $4, $5, ... (nil: none).
	Args func(Escalation) []any
}

// Rules are evaluated by every scan, in order.
var Rules = []Rule{
	{
		// A contract ending within 30 days: the adviser plans what comes next.
		// Period: the end date (a moved end date is a new follow-up).
		Kind: ContractEnding,
		Query: `
			SELECT c.id AS contract_id, c.adviser_id AS owner_id, c.id AS subject_id,
			       c.end_date::text AS period,
			       (c.end_date::timestamp AT TIME ZONE 'Europe/Brussels') AS due_at,
			       jsonb_build_object('apprentice', a.first_name || ' ' || a.last_name,
			                          'date', to_char(c.end_date, 'DD/MM/YYYY')) AS params,
			       'jalon://contracts/' || c.id AS link
			FROM contracts c JOIN users a ON a.id = c.apprentice_id
			WHERE c.status = 'ACTIVE'
			  AND c.end_date >= $2::date AND c.end_date <= $2::date + 30
			  AND $1::timestamptz IS NOT NULL`,
	},
	{
		// No log entry (in any status: a draft counts, it is written) dated
		// in the previous working week, Monday–Friday, of an active contract
		// that covered that whole week; owner: the apprentice. Period: the ISO
		// week, e.g. "2026-W11"; due the Monday after it. It closes when an
		// entry for that week is logged, or when the next week begins (the
		// rule then looks at another week).
		Kind: LogMissing,
		Query: `
			SELECT c.id, c.apprentice_id, c.id, to_char(w.monday, 'IYYY-"W"IW'),
			       ((w.monday + 7)::timestamp AT TIME ZONE 'Europe/Brussels'),
			       jsonb_build_object('week', to_char(w.monday, 'DD/MM/YYYY')),
			       'jalon://contracts/' || c.id || '/log-entries'
			FROM contracts c
			CROSS JOIN (SELECT date_trunc('week', $2::date)::date - 7 AS monday) w
			WHERE c.status = 'ACTIVE' AND c.start_date <= w.monday AND c.end_date >= w.monday + 4
			  AND $1::timestamptz IS NOT NULL
			  AND NOT EXISTS (SELECT 1 FROM log_entries e
			                  WHERE e.contract_id = c.id AND e.entry_date BETWEEN w.monday AND w.monday + 4)`,
	},
	{
		// A log entry SUBMITTED ReviewReminderDays ago or more (default 7):
		// owner the tutor. Period: the submission time (a resubmission is a
		// new period). It closes when the entry is reviewed (or sent back to
		// draft).
		Kind: LogReviewPending,
		Query: `
			SELECT c.id, c.tutor_id, e.id,
			       to_char(e.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
			       e.submitted_at + make_interval(days => $4::int),
			       jsonb_build_object('apprentice', a.first_name || ' ' || a.last_name,
			                          'date', to_char(e.entry_date, 'DD/MM/YYYY'),
			                          'since', to_char(e.submitted_at AT TIME ZONE 'Europe/Brussels', 'DD/MM/YYYY')),
			       'jalon://log-entries/' || e.id
			FROM log_entries e
			JOIN contracts c ON c.id = e.contract_id
			JOIN users a ON a.id = c.apprentice_id
			WHERE e.status = 'SUBMITTED' AND e.submitted_at + make_interval(days => $4::int) <= $1::timestamptz
			  AND $2::date IS NOT NULL`,
		Args: func(e Escalation) []any { return []any{e.ReviewReminderDays} },
	},
	{
		// The same entry still SUBMITTED ReviewEscalationDays after its
		// submission (default 14): escalated to the adviser, naming the tutor
		// who has not reviewed it. Same period; closes with the tutor's.
		Kind: LogReviewEscalated,
		Query: `
			SELECT c.id, c.adviser_id, e.id,
			       to_char(e.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
			       e.submitted_at + make_interval(days => $4::int),
			       jsonb_build_object('apprentice', a.first_name || ' ' || a.last_name,
			                          'tutor', t.first_name || ' ' || t.last_name,
			                          'date', to_char(e.entry_date, 'DD/MM/YYYY'),
			                          'since', to_char(e.submitted_at AT TIME ZONE 'Europe/Brussels', 'DD/MM/YYYY')),
			       'jalon://log-entries/' || e.id
			FROM log_entries e
			JOIN contracts c ON c.id = e.contract_id
			JOIN users a ON a.id = c.apprentice_id
			JOIN users t ON t.id = c.tutor_id
			WHERE e.status = 'SUBMITTED' AND e.submitted_at + make_interval(days => $4::int) <= $1::timestamptz
			  AND $2::date IS NOT NULL`,
		Args: func(e Escalation) []any { return []any{e.ReviewEscalationDays} },
	},
	{
		// An evaluation of an active contract due within 7 days (today
		// included) that the tutor has not signed yet; owner: the tutor.
		// Period: the due date. When the day passes it closes and
		// EVALUATION_OVERDUE takes over; the tutor's signature closes it.
		Kind: EvaluationDue,
		Query: `
			SELECT c.id, c.tutor_id, ev.id, ev.due_date::text,
			       (ev.due_date::timestamp AT TIME ZONE 'Europe/Brussels'),
			       jsonb_build_object('title', ev.title, 'apprentice', a.first_name || ' ' || a.last_name,
			                          'date', to_char(ev.due_date, 'DD/MM/YYYY')),
			       'jalon://evaluations/' || ev.id
			FROM evaluations ev JOIN contracts c ON c.id = ev.contract_id JOIN users a ON a.id = c.apprentice_id
			WHERE ev.status IN ('SCHEDULED', 'IN_PROGRESS') AND c.status = 'ACTIVE'
			  AND ev.due_date BETWEEN $2::date AND $2::date + 7 AND $1::timestamptz IS NOT NULL`,
	},
	{
		// An evaluation of an active contract past its due date that the
		// tutor has not signed yet; owner: the tutor. Period: the due date.
		Kind: EvaluationOverdue,
		Query: `
			SELECT c.id, c.tutor_id, ev.id, ev.due_date::text,
			       (ev.due_date::timestamp AT TIME ZONE 'Europe/Brussels'),
			       jsonb_build_object('title', ev.title, 'apprentice', a.first_name || ' ' || a.last_name,
			                          'date', to_char(ev.due_date, 'DD/MM/YYYY')),
			       'jalon://evaluations/' || ev.id
			FROM evaluations ev JOIN contracts c ON c.id = ev.contract_id JOIN users a ON a.id = c.apprentice_id
			WHERE ev.status IN ('SCHEDULED', 'IN_PROGRESS') AND c.status = 'ACTIVE'
			  AND ev.due_date < $2::date AND $1::timestamptz IS NOT NULL`,
	},
	{
		// An evaluation waiting SignatureReminderDays or more (default 7) for
		// its next signature (since the latest signature); owner: the next
		// signer (the apprentice, then the adviser). Period: the status it
		// waits in. The awaited signature closes it.
		Kind: SignaturePending,
		Query: `
			SELECT c.id, CASE ev.status WHEN 'AWAITING_APPRENTICE' THEN c.apprentice_id ELSE c.adviser_id END,
			       ev.id, ev.status, s.last_signed_at + make_interval(days => $4::int),
			       jsonb_build_object('title', ev.title, 'apprentice', a.first_name || ' ' || a.last_name,
			                          'since', to_char(s.last_signed_at AT TIME ZONE 'Europe/Brussels', 'DD/MM/YYYY')),
			       'jalon://evaluations/' || ev.id
			FROM evaluations ev JOIN contracts c ON c.id = ev.contract_id JOIN users a ON a.id = c.apprentice_id
			CROSS JOIN LATERAL (SELECT max(sg.signed_at) AS last_signed_at
			                    FROM evaluation_signatures sg WHERE sg.evaluation_id = ev.id) s
			WHERE ev.status IN ('AWAITING_APPRENTICE', 'AWAITING_ADVISER')
			  AND s.last_signed_at + make_interval(days => $4::int) <= $1::timestamptz AND $2::date IS NOT NULL`,
		Args: func(e Escalation) []any { return []any{e.SignatureReminderDays} },
	},
	{
		// An evaluation still waiting for the apprentice's signature
		// SignatureEscalationDays after the tutor's (default 14): escalated
		// to the adviser, naming the apprentice. (When the adviser is the
		// one who has to sign, their SIGNATURE_PENDING is already theirs.)
		// Period: the status; the apprentice's signature closes it.
		Kind: SignatureEscalated,
		Query: `
			SELECT c.id, c.adviser_id, ev.id, ev.status, s.last_signed_at + make_interval(days => $4::int),
			       jsonb_build_object('title', ev.title, 'apprentice', a.first_name || ' ' || a.last_name,
			                          'since', to_char(s.last_signed_at AT TIME ZONE 'Europe/Brussels', 'DD/MM/YYYY')),
			       'jalon://evaluations/' || ev.id
			FROM evaluations ev JOIN contracts c ON c.id = ev.contract_id JOIN users a ON a.id = c.apprentice_id
			CROSS JOIN LATERAL (SELECT max(sg.signed_at) AS last_signed_at
			                    FROM evaluation_signatures sg WHERE sg.evaluation_id = ev.id) s
			WHERE ev.status = 'AWAITING_APPRENTICE'
			  AND s.last_signed_at + make_interval(days => $4::int) <= $1::timestamptz AND $2::date IS NOT NULL`,
		Args: func(e Escalation) []any { return []any{e.SignatureEscalationDays} },
	},
	{
		// A contract in the visit planning queue (the view visit_planning_due,
		// which visits.Planning reads too: no visit by day 30, or none for 90
		// days, and no open visit), from the first day of its 7-day warning
		// window; owner: the adviser. Period: the date the visit falls due.
		// Scheduling a visit closes it.
		Kind: VisitToPlan,
		Query: `
			SELECT c.id, c.adviser_id, c.id, d.due_on::text,
			       (d.due_on::timestamp AT TIME ZONE 'Europe/Brussels'),
			       jsonb_build_object('apprentice', a.first_name || ' ' || a.last_name, 'company', co.name,
			                          'date', to_char(d.due_on, 'DD/MM/YYYY')),
			       'jalon://contracts/' || c.id
			FROM visit_planning_due d
			JOIN contracts c ON c.id = d.contract_id
			JOIN users a ON a.id = c.apprentice_id JOIN companies co ON co.id = c.company_id
			WHERE d.warn_on <= $2::date AND $1::timestamptz IS NOT NULL`,
	},
	{
		// An open visit starting tomorrow (Brussels date); owners: the tutor
		// and the apprentice. Period: the visit's start (a moved visit is a
		// new follow-up; the old one closes, as does a cancelled visit's).
		Kind: VisitUpcoming,
		Query: `
			SELECT c.id, o.owner_id, v.id,
			       to_char(v.starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), v.starts_at,
			       jsonb_build_object('when', to_char(v.starts_at AT TIME ZONE 'Europe/Brussels', 'DD/MM/YYYY HH24:MI'),
			                          'place', v.place),
			       'jalon://visits/' || v.id
			FROM visits v JOIN contracts c ON c.id = v.contract_id
			CROSS JOIN LATERAL (VALUES (c.tutor_id), (c.apprentice_id)) o(owner_id)
			WHERE v.status IN ('PROPOSED', 'CONFIRMED')
			  AND v.starts_at >= (($2::date + 1)::timestamp AT TIME ZONE 'Europe/Brussels')
			  AND v.starts_at < (($2::date + 2)::timestamp AT TIME ZONE 'Europe/Brussels')
			  AND $1::timestamptz IS NOT NULL`,
	},
	{
		// An intervention's nextCheckOn (internal/risk) has come: owner the
		// contract's adviser, from that day. Period: the check date. It
		// closes when the adviser records the next intervention on the
		// contract (or the contract stops running).
		Kind: InterventionCheck,
		Query: `
			SELECT c.id, c.adviser_id, i.id, i.next_check_on::text,
			       (i.next_check_on::timestamp AT TIME ZONE 'Europe/Brussels'),
			       jsonb_build_object('apprentice', a.first_name || ' ' || a.last_name,
			                          'date', to_char(i.created_at AT TIME ZONE 'Europe/Brussels', 'DD/MM/YYYY')),
			       'jalon://contracts/' || c.id || '/interventions'
			FROM interventions i JOIN contracts c ON c.id = i.contract_id JOIN users a ON a.id = c.apprentice_id
			WHERE i.next_check_on <= $2::date AND c.status IN ('ACTIVE', 'SUSPENDED') AND $1::timestamptz IS NOT NULL
			  AND NOT EXISTS (SELECT 1 FROM interventions j
			                  WHERE j.contract_id = i.contract_id AND (j.created_at, j.id) > (i.created_at, i.id))`,
	},
}
