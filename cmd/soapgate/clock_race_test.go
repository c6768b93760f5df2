package main

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestClock_MovesDuringPayments moves the test clock from several goroutines while 8
// clients pay and their notifications go out. A move once held the clock's mutex while it
// waited for the writer, and the writer's payment waited for that mutex in Now: the process
// hung. Everything must finish, and the clock must end where the moves took it.
func TestClock_MovesDuringPayments(t *testing.T) {
	rc := newReceiver(t)
	ts := testClockServer(t, notifyTo("700001", rc.URL, "post", false))
	_, before := ts.admin(t, "GET", "", "tok")
	start, err := time.Parse(time.RFC3339, before["now"])
	if err != nil {
		t.Fatal(err)
	}
	const clients, payments, movers, moves = 8, 12, 3, 15
	done := make(chan struct{})
	errs := make(chan error, clients*payments+movers*moves)
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range payments {
					res := ts.form(t, "/pay/silentpay.cfm", card("ordernumber", fmt.Sprintf("race-%d-%d", c, i), "format", "3"))
					if res.Status != 200 {
						errs <- fmt.Errorf("payment %d-%d: %d %s", c, i, res.Status, res.Body)
					}
				}
			}()
		}
		for range movers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range moves {
					if code, out := ts.admin(t, "POST", `{"advance":"1m"}`, "tok"); code != 200 {
						errs <- fmt.Errorf("advance: %d %v", code, out)
					}
				}
			}()
		}
		wg.Wait()
	}()
	// A hang is the failure this test looks for; the bound only turns it into a report.
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		// Panic rather than Fatal: the cleanup's graceful stop would wait for the hung requests.
		buf := make([]byte, 1<<20)
		panic(fmt.Sprintf("payments and clock moves did not finish: deadlock?\n%s", buf[:runtime.Stack(buf, true)]))
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Concurrent advances add up.
	_, after := ts.admin(t, "GET", "", "tok")
	if got, want := after["now"], start.Add(movers*moves*time.Minute).Format(time.RFC3339); got != want {
		t.Errorf("clock stands at %s, want %s", got, want)
	}
	rc.wait(t, clients*payments)
}
