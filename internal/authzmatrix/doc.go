// Package authzmatrix holds the authorization matrix test: for every query and
// mutation on contract-owned data, a caller outside the record's contract gets
// NOT_FOUND, a member whose part does not allow the operation gets FORBIDDEN,
// and a member whose part allows it gets the data. Each area adds its rows in
// its own *_rows_test.go file.
package authzmatrix
