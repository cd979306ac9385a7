//go:build !unix

package audit

// frozen returns a T filled by fill. Without mmap it stays writable, but
// it is never written: see inc and testAndSet.
func frozen[T any](fill func(*T)) (p *T, readOnly bool) {
	p = new(T)
	fill(p)
	return p, false
}
