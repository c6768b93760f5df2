package wire

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the reverse proxies (CIDRs of trusted_proxies) whose X-Forwarded-For and
// X-Forwarded-Proto are believed. From anyone else those headers are ignored: a client
// cannot choose the address the failure limits count or the payer IP an order records, nor
// make the gateway think a plain-HTTP request came over TLS.
type Proxies []netip.Prefix

// ParseProxies reads CIDRs ("10.0.0.0/8"; a bare address is one host).
func ParseProxies(cidrs []string) (Proxies, error) {
	var ps Proxies
	for _, c := range cidrs {
		c = strings.TrimSpace(c)
		if !strings.Contains(c, "/") {
			a, err := netip.ParseAddr(c)
			if err != nil {
				return nil, err
			}
			ps = append(ps, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p.Masked())
	}
	return ps, nil
}

// Contains reports whether a is one of the trusted proxies.
func (ps Proxies) Contains(a netip.Addr) bool { return ps.trusted(a) }

func (ps Proxies) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

type httpsKey struct{}

// Handler rewrites a request that came through a trusted proxy as if the client had sent it
// directly: RemoteAddr becomes the nearest untrusted address of X-Forwarded-For (walking
// from the right, the part each trusted proxy appended), and X-Forwarded-Proto: https
// marks it as HTTPS for IsHTTPS. With no proxies configured next is returned as it is.
func (ps Proxies) Handler(next http.Handler) http.Handler {
	if len(ps) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer, err := netip.ParseAddrPort(r.RemoteAddr)
		if err != nil || !ps.trusted(peer.Addr()) {
			next.ServeHTTP(w, r)
			return
		}
		client := peer.Addr()
		hops := forwardedFor(r.Header.Values("X-Forwarded-For"))
		for i := len(hops) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(hops[i])
			if err != nil {
				break // garbage to the left of a trusted hop: stop at the last good one
			}
			client = a.Unmap()
			if !ps.trusted(client) {
				break
			}
		}
		r2 := r.Clone(r.Context())
		r2.RemoteAddr = net.JoinHostPort(client.String(), "0")
		if proto := r.Header.Values("X-Forwarded-Proto"); len(proto) > 0 &&
			strings.EqualFold(strings.TrimSpace(lastItem(proto[len(proto)-1])), "https") {
			r2 = r2.WithContext(context.WithValue(r2.Context(), httpsKey{}, true))
		}
		next.ServeHTTP(w, r2)
	})
}

func forwardedFor(values []string) []string {
	var hops []string
	for _, v := range values {
		for _, h := range strings.Split(v, ",") {
			hops = append(hops, strings.TrimSpace(h))
		}
	}
	return hops
}

func lastItem(v string) string {
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		return v[i+1:]
	}
	return v
}

// IsHTTPS reports whether the client's connection is TLS: ours, or a trusted proxy's.
func IsHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	https, _ := r.Context().Value(httpsKey{}).(bool)
	return https
}
