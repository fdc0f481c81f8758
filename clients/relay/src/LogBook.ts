// The apprentice's log book: a contract's entries, newest first, paginated
// with Relay's @connection (Contract.logEntries) and refetched through
// node(id:) (@refetchable on a fragment of Contract, a Node).
import { graphql } from "relay-runtime";

export const logBookQuery = graphql`
  query LogBookQuery($contractId: ID!) {
    contract(id: $contractId) {
      id
      trade {
        name
      }
      ...LogBook_contract
    }
  }
`;

export const logBookFragment = graphql`
  fragment LogBook_contract on Contract
  @refetchable(queryName: "LogBookPaginationQuery")
  @argumentDefinitions(
    count: { type: "Int", defaultValue: 20 }
    cursor: { type: "String" }
    status: { type: "LogEntryStatus" }
  ) {
    logEntries(first: $count, after: $cursor, status: $status)
      @connection(key: "LogBook_logEntries", filters: ["status"]) {
      totalCount
      edges {
        node {
          id
          ...LogEntryRow_entry
        }
      }
    }
  }
`;
