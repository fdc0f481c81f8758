package graph

import (
	"github.com/google/uuid"

	"jalon/graph/generated"
)

// countNodes makes nodes(ids:) cost 1 + len(ids) × the cost of one node, as
// countFirst makes a page cost its size: a hundred nodes with nested pages
// are counted as a hundred.
func countNodes(root *generated.ComplexityRoot) {
	root.Query.Nodes = func(child int, ids []uuid.UUID) int { return 1 + max(len(ids), 1)*child }
}
