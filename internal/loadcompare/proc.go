package loadcompare

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"jalon/internal/procstat"
)

// rssSampler records the largest RSS of a process, sampled every 50 ms.
type rssSampler struct {
	stopc chan struct{}
	wg    sync.WaitGroup
	max   int64
}

func sampleRSS(pid int) *rssSampler {
	s := &rssSampler{stopc: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if n, err := procstat.RSS(pid); err == nil && n > s.max {
				s.max = n
			}
			select {
			case <-s.stopc:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// stop ends the sampling and returns the maximum.
func (s *rssSampler) stop() int64 {
	close(s.stopc)
	s.wg.Wait()
	return s.max
}

// machine describes the host: CPU model, CPUs and load average.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	return model
}

// loadAverage is the 1, 5 and 15 minute load averages.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// postgresProcesses returns the pids of the processes named "postgres": a
// PostgreSQL server on this machine, its backends included. Both servers'
// pools keep their connections open, so the same backends serve every
// round.
func postgresProcesses() ([]int, error) {
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err == nil && strings.TrimSpace(string(comm)) == "postgres" {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// databaseCPU returns the CPU time used so far by each "postgres" process.
func databaseCPU() (map[int]time.Duration, error) {
	pids, err := postgresProcesses()
	if err != nil {
		return nil, err
	}
	return procstat.CPUTimes(pids), nil
}
