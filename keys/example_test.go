package keys_test

import (
	"fmt"

	"github.com/backlogbench/backlogbench/keys"
)

// Zipf keys make hot partitions: the hottest of 10,000 keys at s = 1.1 is
// 15% of the events, and its partition's share is at least that.
func ExampleKeys_Shares() {
	k := keys.New(keys.Zipf, 1.1, 10000)
	hot := keys.Partition(keys.AppendKey(nil, 0), 12)
	fmt.Printf("P(k-0) = %.3f, on partition %d of 12 with share %.3f\n", k.Prob(0), hot, k.Shares(12)[hot])
	// Output:
	// P(k-0) = 0.151, on partition 7 of 12 with share 0.193
}
