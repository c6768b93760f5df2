package server

import (
	"net"
	"net/netip"
	"sync"
	"syscall"
)

// ConnLimits caps open connections so that one client holding thousands of idle keep-alive
// connections cannot take every file descriptor: a connection over its address's cap or
// over the total is closed as soon as it is accepted, and the others are still served.
type ConnLimits struct {
	Total      int
	PerAddress int
	// Exempt says whether an address is exempt from the per-address cap (a trusted proxy,
	// behind which many clients share one address); the total still applies.
	Exempt func(netip.Addr) bool
	// Refused is called for each connection closed at accept (for logs and metrics).
	Refused func(addr string, total bool)
}

// DescriptorBudget is how many connections the process's open-file limit leaves room for,
// keeping reserve descriptors for the database, logs and outgoing notifications. (Go raises
// the soft limit to the hard one at start on Linux.)
func DescriptorBudget(reserve int) int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<30 {
		return 1 << 30
	}
	return max(int(rl.Cur)-reserve, 1)
}

// Listener wraps ln with the limits; zero limits are not enforced.
func (l ConnLimits) Listener(ln net.Listener) net.Listener {
	return &limitListener{Listener: ln, limits: l, perAddr: map[netip.Addr]int{}}
}

type limitListener struct {
	net.Listener
	limits ConnLimits

	mu      sync.Mutex
	total   int
	perAddr map[netip.Addr]int
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := remoteAddr(c)
		if ok, total := l.admit(addr); !ok {
			c.Close()
			if l.limits.Refused != nil {
				l.limits.Refused(addr.String(), total)
			}
			continue
		}
		return &limitedConn{Conn: c, l: l, addr: addr}, nil
	}
}

func remoteAddr(c net.Conn) netip.Addr {
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// admit counts a new connection from addr, or reports which cap refuses it.
func (l *limitListener) admit(addr netip.Addr) (ok, overTotal bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.limits.Total > 0 && l.total >= l.limits.Total {
		return false, true
	}
	exempt := l.limits.Exempt != nil && l.limits.Exempt(addr)
	if l.limits.PerAddress > 0 && !exempt && l.perAddr[addr] >= l.limits.PerAddress {
		return false, false
	}
	l.total++
	l.perAddr[addr]++
	return true, false
}

func (l *limitListener) release(addr netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.perAddr[addr]--; l.perAddr[addr] <= 0 {
		delete(l.perAddr, addr)
	}
}

type limitedConn struct {
	net.Conn
	l    *limitListener
	addr netip.Addr
	once sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.addr) })
	return err
}
