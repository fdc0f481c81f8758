//go:build race

package multiinstance_test

// raceEnabled: the tests run with -race, so the binary is built with it too
// (reusing the packages already compiled for the tests, and catching data
// races in the processes).
const raceEnabled = true
