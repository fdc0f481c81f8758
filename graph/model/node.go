package model

// Node is what node(id:) and nodes(ids:) return: one of the domain records
// whose GraphQL type implements the Node interface (logbook.Entry,
// contracts.Contract, ...). The records are domain types bound in the
// schema, which cannot carry gqlgen's marker methods, so the interface is
// empty and the generated code switches on the concrete type.
type Node any
