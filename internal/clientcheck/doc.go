// Package clientcheck compiles the operations mobile and web apps send
// (clients/relay, the examples of docs/clients.md) with the real client
// tools, relay-compiler and GraphQL Code Generator + tsc --strict, against
// the schema a running Jalon serves (read by introspection), and sends the
// compiled operations to that server. A schema change that breaks an app
// operation, or a guide example that drifts from the schema, fails
// `go test ./...`. The package holds tests only.
package clientcheck
