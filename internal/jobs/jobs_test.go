package jobs

import (
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
)

type tickArgs struct{}

func (tickArgs) Kind() string { return "test.tick" }

func TestPeriodicRefusesAPeriodThatIsNotPositive(t *testing.T) {
	if Periodic(time.Minute, tickArgs{}) == nil {
		t.Fatal("no periodic job")
	}
	for _, every := range []time.Duration{0, -time.Second} {
		func() {
			defer func() {
				if msg, _ := recover().(string); !strings.Contains(msg, "test.tick") {
					t.Errorf("period %v: want a panic naming the job, got %q", every, msg)
				}
			}()
			Periodic(every, tickArgs{})
		}()
	}
}

// Every queue a job may be inserted in is served.
func TestQueuesServeThePushQueue(t *testing.T) {
	for _, q := range []string{river.QueueDefault, QueuePush, QueueMail} {
		if Queues[q].MaxWorkers < 1 {
			t.Errorf("queue %q is not served", q)
		}
	}
}
