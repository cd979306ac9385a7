package perf

// cpuMeter measures the CPU time of a stretch of this process: perf's
// broker, clients and harness together, as `run` pays them.
type cpuMeter struct {
	start float64
	ok    bool
}

func startCPU() cpuMeter {
	d, ok := processCPU()
	return cpuMeter{start: d.Seconds(), ok: ok}
}

// perEventUS is the CPU since start in µs per event of events; 0 when the
// CPU time cannot be read or there were no events.
func (m cpuMeter) perEventUS(events int64) (cpuS, us float64) {
	d, ok := processCPU()
	if !m.ok || !ok || events <= 0 {
		return 0, 0
	}
	cpuS = d.Seconds() - m.start
	return cpuS, cpuS * 1e6 / float64(events)
}
