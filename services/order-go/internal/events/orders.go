package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The saga's incoming side (services/order/orders/handlers.py and services.py): state
// changes driven by payment and shipment events. The state machine is monotonic, because
// events of one order arrive on different topics and so in any order:
//
//	PENDING -> PAID -> COMPLETED        (COMPLETED and CANCELLED are final)
//	PENDING -> COMPLETED                (dispatch seen before the payment)
//	PENDING -> CANCELLED                (payment.failed, or no payment outcome within
//	                                     ORDER_PAYMENT_TIMEOUT_SECONDS; publishes order.cancelled)
//
// An event that would move an order backwards changes nothing but may record its reference.

// PaymentTimeoutReason is the cancel reason of an order that got no payment outcome in time.
const PaymentTimeoutReason = "payment_timeout"

// OrderNotFound: an event names an order this database does not have. order.placed commits
// with the order, so this is a bug or a foreign message, never a timing issue: it goes
// through the retries to the DLQ, where it is visible.
type OrderNotFound struct{ OrderID string }

func (e *OrderNotFound) Error() string { return "no order " + e.OrderID }

// Effects are what a handler's transaction did that is counted once it commits.
type Effects struct {
	Transitions []string
	// SagaEnds: orders that entered a terminal status, with when they were placed.
	SagaEnds []SagaEnd
}

// SagaEnd is an order's transition into COMPLETED or CANCELLED (musiccorp_order_saga_seconds).
type SagaEnd struct {
	Status   string
	PlacedAt time.Time
}

func (e *Effects) transition(status string) { e.Transitions = append(e.Transitions, status) }

// end records the transition into terminal status of the order placed at placedAt.
func (e *Effects) end(status string, placedAt time.Time) {
	e.transition(status)
	e.SagaEnds = append(e.SagaEnds, SagaEnd{Status: status, PlacedAt: placedAt})
}

// handlerContext is what an order handler needs besides its transaction.
type handlerContext struct {
	publisher     *Publisher
	log           *slog.Logger
	correlationID string
}

// Handler handles one event inside the consumer's transaction, which also records its event_id.
type Handler func(ctx context.Context, tx pgx.Tx, env Envelope, hc handlerContext, effects *Effects) error

// OrderHandlers: the events the order consumer subscribes to (orders/handlers.py HANDLERS).
func OrderHandlers() map[string]Handler {
	return map[string]Handler{
		"payment.received":    onPaymentReceived,
		"payment.failed":      onPaymentFailed,
		"shipment.dispatched": onShipmentDispatched,
	}
}

func onPaymentReceived(ctx context.Context, tx pgx.Tx, env Envelope, hc handlerContext, fx *Effects) error {
	var data struct {
		OrderID   string `json:"order_id"`
		PaymentID string `json:"payment_id"`
	}
	if err := json.Unmarshal(env.Data, &data); err != nil {
		return &InvalidEvent{err.Error()}
	}
	return markPaid(ctx, tx, hc, fx, data.OrderID, data.PaymentID)
}

func onPaymentFailed(ctx context.Context, tx pgx.Tx, env Envelope, hc handlerContext, fx *Effects) error {
	var data struct {
		OrderID   string `json:"order_id"`
		PaymentID string `json:"payment_id"`
		Reason    string `json:"reason"`
	}
	if err := json.Unmarshal(env.Data, &data); err != nil {
		return &InvalidEvent{err.Error()}
	}
	_, err := cancelOrder(ctx, tx, hc, fx, data.OrderID, data.Reason, data.PaymentID)
	return err
}

func onShipmentDispatched(ctx context.Context, tx pgx.Tx, env Envelope, hc handlerContext, fx *Effects) error {
	var data struct {
		OrderID        string `json:"order_id"`
		ShipmentID     string `json:"shipment_id"`
		TrackingNumber string `json:"tracking_number"`
	}
	if err := json.Unmarshal(env.Data, &data); err != nil {
		return &InvalidEvent{err.Error()}
	}
	return completeOrder(ctx, tx, hc, fx, data.OrderID, data.ShipmentID, data.TrackingNumber)
}

type lockedOrder struct {
	ID, Status, PaymentID, CancelReason string
	CreatedAt                           time.Time
}

// lockOrder: SELECT ... FOR UPDATE of the order, or OrderNotFound (also for an id that is no UUID).
func lockOrder(ctx context.Context, tx pgx.Tx, orderID string) (lockedOrder, error) {
	o := lockedOrder{ID: orderID}
	err := tx.QueryRow(ctx, `SELECT status, payment_id, cancel_reason, created_at FROM `+orderTable+`
		WHERE id = CASE WHEN $1 ~* '^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$' THEN $1::text::uuid END
		FOR UPDATE`, orderID).Scan(&o.Status, &o.PaymentID, &o.CancelReason, &o.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return o, &OrderNotFound{orderID}
	}
	return o, err
}

// markPaid: payment.received: PENDING -> PAID; records payment_id in any state but CANCELLED.
func markPaid(ctx context.Context, tx pgx.Tx, hc handlerContext, fx *Effects, orderID, paymentID string) error {
	o, err := lockOrder(ctx, tx, orderID)
	if err != nil {
		return err
	}
	if o.Status == StatusCancelled {
		hc.log.Warn("payment received for a cancelled order; left cancelled", "order_id", orderID)
		return nil
	}
	status := o.Status
	if status == StatusPending {
		status = StatusPaid
		fx.transition(StatusPaid)
	}
	_, err = tx.Exec(ctx, `UPDATE `+orderTable+` SET status = $2, payment_id = $3, updated_at = clock_timestamp() WHERE id = $1::text::uuid`,
		orderID, status, paymentID)
	return err
}

// cancelOrder: PENDING -> CANCELLED and order.cancelled, only on that transition. A PAID or
// COMPLETED order is not cancelled by a late or contradictory failure; it is logged. Returns
// whether this call cancelled it.
func cancelOrder(ctx context.Context, tx pgx.Tx, hc handlerContext, fx *Effects, orderID, reason, paymentID string) (bool, error) {
	o, err := lockOrder(ctx, tx, orderID)
	if err != nil {
		return false, err
	}
	if o.Status != StatusPending {
		if o.Status != StatusCancelled {
			hc.log.Warn(fmt.Sprintf("payment failure for a %s order ignored", o.Status), "order_id", orderID)
		}
		return false, nil
	}
	reason = truncateRunes(reason, 100)
	if o.PaymentID != "" {
		paymentID = o.PaymentID
	}
	fx.end(StatusCancelled, o.CreatedAt)
	if _, err := tx.Exec(ctx, `UPDATE `+orderTable+` SET status = $2, cancel_reason = $3, payment_id = $4, updated_at = clock_timestamp()
		WHERE id = $1::text::uuid`, orderID, StatusCancelled, reason, paymentID); err != nil {
		return false, err
	}
	_, err = hc.publisher.Publish(ctx, tx, "order.cancelled", orderID,
		map[string]string{"order_id": orderID, "reason": reason}, hc.correlationID)
	return err == nil, err
}

// completeOrder: shipment.dispatched: PENDING or PAID -> COMPLETED; records the shipment references.
func completeOrder(ctx context.Context, tx pgx.Tx, hc handlerContext, fx *Effects, orderID, shipmentID, trackingNumber string) error {
	o, err := lockOrder(ctx, tx, orderID)
	if err != nil {
		return err
	}
	status := o.Status
	switch status {
	case StatusCancelled:
		hc.log.Error("shipment dispatched for a cancelled order; left cancelled", "order_id", orderID)
	case StatusCompleted:
	default:
		status = StatusCompleted
		fx.end(StatusCompleted, o.CreatedAt)
	}
	_, err = tx.Exec(ctx, `UPDATE `+orderTable+` SET status = $2, shipment_id = $3, tracking_number = $4, updated_at = clock_timestamp()
		WHERE id = $1::text::uuid`, orderID, status, shipmentID, trackingNumber)
	return err
}

// ExpirePendingOrders cancels PENDING orders older than timeout (reason payment_timeout) and
// returns their ids (orders.services.expire_pending_orders, `manage.py expire_orders`). Each is
// cancelled like a failed payment, in its own transaction with order.cancelled: inventory
// releases the stock, payment voids the order. The order is locked and re-checked, so a
// payment outcome that just came in wins.
func ExpirePendingOrders(ctx context.Context, pool *pgxpool.Pool, publisher *Publisher, log *slog.Logger, timeout time.Duration, limit int) ([]string, error) {
	rows, err := pool.Query(ctx, `SELECT id::text FROM `+orderTable+`
		WHERE status = $1 AND created_at < now() - make_interval(secs => $2) ORDER BY created_at LIMIT $3`,
		StatusPending, timeout.Seconds(), limit)
	if err != nil {
		return nil, err
	}
	candidates, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	var expired []string
	for _, orderID := range candidates {
		correlationID := NewUUID()
		hc := handlerContext{publisher: publisher, log: log.With("correlation_id", correlationID), correlationID: correlationID}
		var fx Effects
		var cancelled bool
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			var err error
			cancelled, err = cancelOrder(ctx, tx, hc, &fx, orderID, PaymentTimeoutReason, "")
			return err
		})
		if err != nil {
			return expired, fmt.Errorf("expire order %s: %w", orderID, err)
		}
		countTransitions(fx)
		if cancelled {
			hc.log.Warn("order cancelled: no payment outcome in time", "order_id", orderID)
			expired = append(expired, orderID)
		}
	}
	return expired, nil
}

// countTransitions counts what a committed transaction did: each status entered and, for each
// saga that ended, placed -> now (orders.metrics.observe_saga_end, also on commit).
func countTransitions(fx Effects) {
	for _, status := range fx.Transitions {
		CountOrderTransition(status)
	}
	for _, end := range fx.SagaEnds {
		sagaSeconds.WithLabelValues(end.Status).Observe(time.Since(end.PlacedAt).Seconds())
	}
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
