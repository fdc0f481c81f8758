// Notifications: the inbox as a connection and the live subscription that
// prepends new ones (@prependNode into the same connection).
import { graphql } from "relay-runtime";

export const inboxFragment = graphql`
  fragment Inbox_query on Query
  @refetchable(queryName: "InboxPaginationQuery")
  @argumentDefinitions(
    count: { type: "Int", defaultValue: 20 }
    cursor: { type: "String" }
  ) {
    unreadNotificationCount
    notifications(first: $count, after: $cursor)
      @connection(key: "Inbox_notifications") {
      __id
      edges {
        node {
          id
          ...Inbox_notification
        }
      }
    }
  }
`;

export const notificationFragment = graphql`
  fragment Inbox_notification on Notification
  @refetchable(queryName: "InboxNotificationRefetchQuery") {
    id
    kind
    title
    body
    link
    createdAt
    readAt
  }
`;

export const notificationAdded = graphql`
  subscription InboxNotificationAddedSubscription($connections: [ID!]!) {
    notificationAdded
      @prependNode(connections: $connections, edgeTypeName: "NotificationEdge") {
      id
      ...Inbox_notification
    }
  }
`;
