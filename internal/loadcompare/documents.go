package loadcompare

// The two screens of issue 12, as the phone sends them. Both servers answer
// these exact documents; the hand-written one recognises them by their text
// (it parses no GraphQL) and answers nothing else.
const (
	// ApprenticePage is an apprentice's log book, first page: variables
	// {"c": contract id}.
	ApprenticePage = `query ApprenticePage($c: ID!) {
  logEntries(contractId: $c, first: 20) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id date hours activities status version updatedAt
      competencies { code title }
      review { decision comment reviewedAt reviewer { firstName lastName } }
    }
  }
}`

	// WaitingList is a tutor's entries waiting for review over all their
	// contracts, first page.
	WaitingList = `query WaitingList {
  logEntries(status: SUBMITTED, first: 20) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id date hours activities submittedAt
      contract { id apprentice { firstName lastName } }
      competencies { code title }
    }
  }
}`
)

// pageSize is first: in both documents.
const pageSize = 20

// Screen is one of the two measured screens.
type Screen string

const (
	Apprentice Screen = "apprentice"
	Tutor      Screen = "tutor"
)

// Title is the screen's name in the table.
func (s Screen) Title() string {
	if s == Apprentice {
		return "apprentice page"
	}
	return "tutor waiting list"
}
