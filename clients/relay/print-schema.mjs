// Prints the schema a running Jalon serves, as SDL, from its introspection
// answer (graphql-js, as client tools see it).
// Usage: node relay/print-schema.mjs http://127.0.0.1:8080/graphql out.graphql
import { writeFileSync } from "node:fs";
import { buildClientSchema, getIntrospectionQuery, printSchema } from "graphql";

const [url, out] = process.argv.slice(2);
const res = await fetch(url, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ query: getIntrospectionQuery() }),
});
const body = await res.json();
if (body.errors) {
  console.error(JSON.stringify(body.errors));
  process.exit(1);
}
writeFileSync(out, printSchema(buildClientSchema(body.data)) + "\n");
