// Creating an entry offline-first: the phone generates clientId once and
// retries with the same input until the server answers.
import { graphql } from "relay-runtime";

export const createLogEntryMutation = graphql`
  mutation CreateLogEntryMutation($input: CreateLogEntryInput!) {
    createLogEntry(input: $input) {
      ...LogEntryRow_entry
    }
  }
`;
