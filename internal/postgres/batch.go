package postgres

import (
	"jalon/internal/apperr"
)

// InKeyOrder arranges rows loaded with "= ANY($1)" in the order of keys, as a
// dataloader expects: one result per key, NOT_FOUND where a key has no row.
func InKeyOrder[K comparable, T any](keys []K, rows []T, keyOf func(T) K, what string) ([]T, []error) {
	byKey := make(map[K]T, len(rows))
	for _, r := range rows {
		byKey[keyOf(r)] = r
	}
	out := make([]T, len(keys))
	var errs []error
	for i, k := range keys {
		r, ok := byKey[k]
		if !ok {
			if errs == nil {
				errs = make([]error, len(keys))
			}
			errs[i] = apperr.NotFoundf(what)
			continue
		}
		out[i] = r
	}
	return out, errs
}

// GroupByKey arranges rows loaded with "= ANY($1)" into one slice per key, in
// the order of keys (an empty slice where a key has no rows).
func GroupByKey[K comparable, T any](keys []K, rows []T, keyOf func(T) K) [][]T {
	byKey := make(map[K][]T, len(keys))
	for _, r := range rows {
		k := keyOf(r)
		byKey[k] = append(byKey[k], r)
	}
	out := make([][]T, len(keys))
	for i, k := range keys {
		out[i] = byKey[k]
	}
	return out
}

// Only returns the one row of a lookup by a single id (what a Get does with
// its batch form), NOT_FOUND about what when there is none.
func Only[T any](rows []T, err error, what string) (T, error) {
	var zero T
	if err != nil {
		return zero, err
	}
	if len(rows) == 0 {
		return zero, apperr.NotFoundf(what)
	}
	return rows[0], nil
}
