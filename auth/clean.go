package auth

import (
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// CleanFor is how long a process trusts, without asking the shared counters again, that a
// login and an address it found without failures still have none. It spares the database
// a read per authentication of a merchant's system that signs in correctly, over and over.
//
// What it can cost: failures made at other processes are unseen here for at most CleanFor,
// so at most one guess per process and address gets through that another process's count
// would have refused. A failure here drops the address from it at once, and a key with any
// failure is never trusted: from then on every attempt at this process reads the shared count.
const CleanFor = time.Second

// maxCleanLogins bounds the logins remembered per address.
const maxCleanLogins = 64

// clean remembers, per address, the logins read without failures and when.
type clean struct {
	mu  sync.Mutex
	gen uint64 // counts local failures: a read that began before one is not remembered
	m   *lru.Cache[string, map[string]time.Time]
}

func newClean() *clean {
	m, _ := lru.New[string, map[string]time.Time](MaxTracked)
	return &clean{m: m}
}

// has reports whether login and addr were read clean less than CleanFor before now, and
// the generation to hand to add after a read.
func (c *clean) has(now time.Time, addr, login string) (bool, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	logins, ok := c.m.Get(addr)
	if !ok {
		return false, c.gen
	}
	at, ok := logins[login]
	return ok && now.Sub(at) < CleanFor && !at.After(now), c.gen
}

// add remembers a clean read that began at generation gen, unless a failure came since.
func (c *clean) add(now time.Time, addr, login string, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	logins, ok := c.m.Get(addr)
	if !ok || len(logins) >= maxCleanLogins {
		logins = map[string]time.Time{}
		c.m.Add(addr, logins)
	}
	logins[login] = now
}

// failed forgets addr: a failure of any login from it counts for the address.
func (c *clean) failed(addr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.m.Remove(addr)
}
