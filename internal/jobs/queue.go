package jobs

import "context"

// Delivery is a task handed to a worker.
type Delivery struct {
	Task Task
	// ID identifies the delivery in the queue ("" for memory).
	ID string
	// Reclaimed is set when the task was taken over from another consumer
	// that held it past the visibility timeout.
	Reclaimed bool
}

// Queue carries URL tasks to workers. A delivered task stays owned by the
// receiver until acknowledged; a shared queue gives it to another consumer
// when its owner neither acknowledges nor extends it in time.
type Queue interface {
	// Push enqueues tasks.
	Push(ctx context.Context, ts []Task) error
	// Receive waits until at least one task is available (or ctx ends, or
	// a back-end poll interval passes) and returns up to max tasks.
	Receive(ctx context.Context, max int) ([]Delivery, error)
	// Ack marks a task done; it is never delivered again.
	Ack(ctx context.Context, d Delivery) error
	// Extend tells the queue that the receiver still works on ds, so they
	// are not reclaimed.
	Extend(ctx context.Context, ds []Delivery) error
}
