//go:build !race

package multiinstance_test

const raceEnabled = false
