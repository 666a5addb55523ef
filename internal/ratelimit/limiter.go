package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Rule is a limit of Limit events in any window of Period.
type Rule struct {
	// Limit is the number of events allowed in any window; it must be > 0.
	Limit int
	// Period is the length of the sliding window; it must be > 0.
	Period time.Duration
}

// String renders r in the syntax [ParseTiers] reads, e.g. "60/1m0s".
func (r Rule) String() string {
	return fmt.Sprintf("%d/%s", r.Limit, r.Period)
}

// Decision is the answer of a [Limiter] for one call.
type Decision struct {
	// Allowed reports whether the n events were admitted (and counted).
	Allowed bool
	// Limit is the rule's Limit.
	Limit int
	// Remaining is how many more events the window admits right now.
	Remaining int
	// Reset is the time until every event counted now has left the window,
	// i.e. until Remaining is back to Limit; 0 when nothing is counted.
	Reset time.Duration
	// RetryAfter is, when refused, the time until the same call would be
	// admitted; 0 when allowed.
	RetryAfter time.Duration
}

// Limiter admits or refuses events under a [Rule], per key.
//
// Allow counts n events (the cost: a batch of 40 URLs costs 40) against key
// when all n fit in the window, else counts nothing and refuses. A refusal
// is not an error: err is non-nil only when the limiter could not decide
// (ErrInvalidRule, or a Redis failure).
type Limiter interface {
	Allow(ctx context.Context, key string, rule Rule, n int) (Decision, error)
}

// ErrInvalidRule is returned by Allow for a rule whose Limit or Period is not
// positive, or a negative cost.
var ErrInvalidRule = errors.New("invalid rate limit rule")

func checkRule(rule Rule, n int) error {
	if rule.Limit <= 0 || rule.Period <= 0 || n < 0 {
		return fmt.Errorf("check rule %s cost %d: %w", rule, n, ErrInvalidRule)
	}
	return nil
}
