package procstat

import (
	"crypto/sha256"
	"os"
	"testing"
	"time"
)

// This process's CPU time grows while it works, and its RSS is that of a
// Go test binary (megabytes, not bytes or terabytes).
func TestOwnProcess(t *testing.T) {
	pid := os.Getpid()
	before, err := CPUTime(pid)
	if err != nil {
		t.Fatal(err)
	}
	// Work until the CPU time moves by two ticks (USER_HZ), however busy
	// the machine; give up only after a long while.
	sum := sha256.Sum256(nil)
	var after map[int]time.Duration
	for start := time.Now(); time.Since(start) < time.Minute; {
		for range 10000 {
			sum = sha256.Sum256(sum[:])
		}
		after = CPUTimes([]int{pid, -1}) // -1: no such process, left out
		if Since(map[int]time.Duration{pid: before}, after) >= 20*time.Millisecond {
			break
		}
	}
	if len(after) != 1 || Since(map[int]time.Duration{pid: before}, after) < 20*time.Millisecond {
		t.Fatalf("CPU time %s, then %v", before, after)
	}
	rss, err := RSS(pid)
	if err != nil {
		t.Fatal(err)
	}
	if rss < 1<<20 || rss > 1<<40 {
		t.Fatalf("RSS %d bytes", rss)
	}
}
