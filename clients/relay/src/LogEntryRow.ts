// One log entry as a row of the log book; pull-to-refresh refetches just
// this entry through node(id:) (@refetchable on a fragment of LogEntry).
import { graphql } from "relay-runtime";

export const logEntryRowFragment = graphql`
  fragment LogEntryRow_entry on LogEntry
  @refetchable(queryName: "LogEntryRowRefetchQuery") {
    id
    clientId
    date
    hours
    activities
    status
    version
    updatedAt
    competencies {
      id
      code
      title
    }
    attachments {
      id
      contentType
      url
    }
    review {
      decision
      comment
      reviewedAt
      reviewer {
        id
        firstName
        lastName
      }
    }
  }
`;
