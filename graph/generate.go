// Package graph is the GraphQL layer: resolvers that translate between the
// schema in schema/ and the domain packages in internal/, and nothing more
// (no SQL, no business rule, no authorization decision lives here).
package graph

//go:generate go run jalon/graph/gen
//go:generate go run jalon/cmd/schemasnapshot ../schema.graphql
