// Apollo Client's normalized cache against Jalon (internal/apischema):
// read notificationPreferences, change quietHoursStart with
// updateNotificationPreferences, then print what the cached query holds
// (no refetch). With `id` selected, both results normalize to one
// NotificationPreferences:<id> record, so the query sees the change; with
// --without-id the query's copy stays stale. Env: JALON_URL, JALON_TOKEN.
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';

const withId = !process.argv.includes('--without-id');
const fields = `${withId ? 'id ' : ''}quietHoursStart quietHoursEnd timezone mutedKinds`;
const query = gql(`query Prefs { notificationPreferences { ${fields} } }`);
const mutation = gql(`mutation Update($in: NotificationPreferencesInput!) {
  updateNotificationPreferences(input: $in) { ${fields} } }`);

const client = new ApolloClient({
  link: new HttpLink({
    uri: process.env.JALON_URL,
    headers: { authorization: `Bearer ${process.env.JALON_TOKEN}` },
  }),
  cache: new InMemoryCache(),
});

const before = await client.query({ query });
await client.mutate({ mutation, variables: { in: { quietHoursStart: '22:30' } } });
const after = client.readQuery({ query });
console.log(JSON.stringify({
  before: before.data.notificationPreferences,
  cached: after.notificationPreferences,
  cacheKeys: Object.keys(client.cache.extract()),
}));
