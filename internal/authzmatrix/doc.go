// Package authzmatrix holds the authorization matrix test: for every query and
// mutation on contract-owned data, a caller outside the record's contract gets
// NOT_FOUND, a member whose part does not allow the operation gets FORBIDDEN,
// and a member whose part allows it gets the data (no top-level field null).
// The apprentice's guardian (an active link) is a member too: every write is
// FORBIDDEN to them and every read they may not make NOT_FOUND (or, for a
// list, shows them nothing of it); a guardian of another family is an
// outsider like the others.
// Role-only operations (AdminOnly, RoleOnly) answer FORBIDDEN to the other
// roles wherever they stand; operations every caller may run (lists, the
// caller's own inbox, devices and preferences) check that an outsider sees
// nothing of the contract. Each area adds its rows in its own *_rows_test.go
// file.
package authzmatrix
