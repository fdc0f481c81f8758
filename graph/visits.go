package graph

import (
	"jalon/internal/visits"
)

// visitResult adapts a visits call returning a value to the pointer of a
// nullable field's resolver.
func visitResult(v visits.Visit, err error) (*visits.Visit, error) {
	if err != nil {
		return nil, err
	}
	return &v, nil
}
