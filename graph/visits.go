package graph

import "jalon/internal/visits"

// visitResult adapts a visits call returning a value to a resolver's pointer.
func visitResult(v visits.Visit, err error) (*visits.Visit, error) {
	if err != nil {
		return nil, err
	}
	return &v, nil
}
