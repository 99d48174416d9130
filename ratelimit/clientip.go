package ratelimit

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// The headers a trusted proxy may record the client in
// (MiddlewareConfig.ForwardedHeader), in canonical form.
const (
	headerXFF       = "X-Forwarded-For"
	headerForwarded = "Forwarded"
)

// ows is HTTP's optional whitespace around list elements: space and tab
// only (RFC 9110 §5.6.3); anything else makes an entry malformed.
const ows = " \t"

// ClientIP returns the address of the client that sent r, or the zero
// Addr when it cannot be told. The middleware keys anonymous callers on
// it.
//
// When the peer (r.RemoteAddr) is not a trusted proxy, it is the client
// and no header is read. Otherwise the configured header alone
// (MiddlewareConfig.ForwardedHeader) is walked from the right, every
// field line of it in order as one list: each entry names the peer of the
// hop that wrote it, so the first entry that is not a trusted proxy is
// the client. Entries further left were written by the client itself and
// are never read. The walk yields the zero Addr, never a proxy's address,
// when an entry is not an IP address (a proxy wrote "unknown", an
// obfuscated name or garbage: whoever sits behind it cannot be told),
// when an element of Forwarded has no single for= parameter, or when every
// entry is a trusted proxy (the header is missing, or no hop recorded an
// outside client). IPv4-mapped IPv6 addresses are unmapped and zones
// dropped.
func (m *Middleware) ClientIP(r *http.Request) netip.Addr {
	return clientIP(r, m.trusted, m.header)
}

func clientIP(r *http.Request, trusted []netip.Prefix, header string) netip.Addr {
	peer := parseHost(r.RemoteAddr)
	if !peer.IsValid() || !contains(trusted, peer) {
		return peer
	}
	lines := r.Header[header]
	for i := len(lines) - 1; i >= 0; i-- {
		list := lines[i]
		for {
			var entry string
			if j := strings.LastIndexByte(list, ','); j >= 0 {
				list, entry = list[:j], list[j+1:]
			} else {
				list, entry = "", list
			}
			var a netip.Addr
			if header == headerForwarded {
				a = forwardedFor(entry)
			} else {
				a = parseHost(strings.Trim(entry, ows))
			}
			if !a.IsValid() {
				return netip.Addr{}
			}
			if !contains(trusted, a) {
				return a
			}
			if list == "" {
				break
			}
		}
	}
	return netip.Addr{}
}

// forwardedFor returns the address in the one for= parameter of an
// element of a Forwarded field (RFC 7239), quoted or not; the zero Addr
// when there is none, more than one, or it is not an IP address.
func forwardedFor(elem string) netip.Addr {
	var addr netip.Addr
	found := false
	for pair := range strings.SplitSeq(elem, ";") {
		k, v, ok := strings.Cut(strings.Trim(pair, ows), "=")
		if !ok {
			return netip.Addr{}
		}
		if !strings.EqualFold(k, "for") {
			continue
		}
		if found {
			return netip.Addr{}
		}
		found = true
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		addr = parseHost(v)
	}
	return addr
}

// parseHost reads an address with or without a port; IPv6 may come in
// brackets ("[::1]:80", "[::1]"). It unmaps IPv4-mapped addresses and
// drops zones, which no prefix contains.
func parseHost(s string) netip.Addr {
	var a netip.Addr
	if ap, err := netip.ParseAddrPort(s); err == nil {
		a = ap.Addr()
	} else {
		s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
		if a, err = netip.ParseAddr(s); err != nil {
			return netip.Addr{}
		}
	}
	return a.Unmap().WithZone("")
}

func contains(prefixes []netip.Prefix, a netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parsePrefixes reads CIDRs ("10.0.0.0/8", "fd00::/8") and single
// addresses ("127.0.0.1"). IPv4-mapped forms become IPv4, as client
// addresses do.
func parsePrefixes(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
				p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is neither a CIDR nor an IP address", s)
		}
		a = a.Unmap().WithZone("")
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
