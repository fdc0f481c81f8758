// Command schemasnapshot writes the schema clients see (graph.PublicSDL) to
// the file named by its argument. `go generate ./...` runs it after gqlgen,
// so schema.graphql always matches the generated server.
package main

import (
	"fmt"
	"os"

	"jalon/graph"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: schemasnapshot OUTPUT.graphql")
		os.Exit(2)
	}
	if err := os.WriteFile(os.Args[1], []byte(graph.PublicSDL()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "schemasnapshot:", err)
		os.Exit(1)
	}
}
