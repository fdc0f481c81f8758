// Package multiinstance holds the tests that run Jalon as a deployment runs
// it: the real `jalon` binary, built once per test run, started as several
// processes on one test database — `jalon serve --no-worker` processes
// behind which a load balancer would sit, `jalon worker` processes, and
// PgBouncer in transaction mode in front of PostgreSQL — and driven over
// loopback like phones would drive it. They prove what DESIGN.md's Scale
// section promises: no process keeps in memory what another one needs.
//
//	go test ./internal/multiinstance/
//
// The package has no code of its own; the README's "Deployment" section
// describes the shape these tests start.
package multiinstance
