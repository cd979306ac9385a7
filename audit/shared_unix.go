//go:build unix

package audit

import (
	"syscall"
	"unsafe"
)

// frozen returns a T filled by fill in memory of its own that is then
// mapped read-only: a write into it faults and ends the process, so a
// shared page can never be changed by mistake and, through it, every page
// it stands for. Where the memory cannot be mapped it falls back to the
// heap (writable, but still never written: see inc and testAndSet).
func frozen[T any](fill func(*T)) (p *T, readOnly bool) {
	size := int(unsafe.Sizeof(*new(T)))
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		p = new(T)
		fill(p)
		return p, false
	}
	p = (*T)(unsafe.Pointer(&mem[0]))
	fill(p)
	if syscall.Mprotect(mem, syscall.PROT_READ) != nil {
		return p, false
	}
	return p, true
}
