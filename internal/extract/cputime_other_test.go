//go:build !unix

package extract

import "time"

// cpuTime is not measured off unix; the benchmarks fall back to wall time.
func cpuTime() time.Duration { return 0 }
