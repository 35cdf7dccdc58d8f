// Package events is the event side of order-go, the Go implementation of the order service:
// the transactional outbox and its relay, the consumer of the saga's incoming events, and the
// sweeper of orders that got no payment outcome. It is a drop-in counterpart of the Django
// side (services/common/src/musiccorp_common/events and services/order/orders): the same
// tables (the Django migrations own them), envelope, JSON Schemas, topics, keys, headers,
// consumer group, inbox, retry and DLQ policy and metric names, so both implementations can
// run at once on one database and one Kafka cluster and either may handle any order's events.
//
// Configuration: ConfigFromEnv reads the variables the Django settings read (KAFKA_*,
// EVENTS_*, ORDER_PAYMENT_TIMEOUT_SECONDS, ORDER_PENDING_DEADLINE_SECONDS,
// ORDER_PAID_DEADLINE_SECONDS) with the same defaults, plus EVENTS_SCHEMA_DIR
// (default DefaultSchemaDir, relative to services/order-go).
//
// Writing events (the HTTP side's order.placed):
//
//	schemas, err := events.LoadSchemas(cfg.SchemaDir)
//	pub := events.NewPublisher(cfg, schemas)
//	// inside the transaction that inserts the order:
//	env, err := pub.Publish(ctx, tx, "order.placed", orderID, data, correlationID)
//	// after tx.Commit succeeded:
//	events.CountOrderTransition(events.StatusPending)
//
// Publish validates the envelope, inserts the outbox row (musiccorp_common_outboxevent) in
// tx with the headers x-correlation-id and traceparent (of ctx's span, W3C trace context) and
// NOTIFYs the relays on commit.
//
// Relaying the outbox: RunRelay(ctx, pool, cfg, logger) until ctx is cancelled. Rows are
// claimed with the Django relay's lease protocol (claimed_by, claim_expires_at; only the
// oldest unsent row of a key is claimable), so Python and Go relays share one outbox without
// publishing a row twice or stranding one; a relay that dies leaves its rows to expire.
// Messages are keyed by order id and partitioned as librdkafka partitions them
// (LibrdkafkaPartition: CRC-32 of the key modulo the partition count), so an order's events
// land on the same partition whichever implementation sends them.
//
// Consuming: RunConsumer(ctx, pool, cfg, logger), or NewOrderConsumer then Run, with
// Ready and Heartbeat for the health endpoints. It subscribes, in the consumer group "order"
// (GroupID, the Django consumer's), to payment.received (PENDING -> PAID),
// payment.failed (PENDING -> CANCELLED, publishing order.cancelled in the same transaction)
// and shipment.dispatched (PENDING or PAID -> COMPLETED). Each event's id is recorded in the
// inbox (musiccorp_common_processedevent) in the handler's transaction, so a redelivery
// changes nothing; offsets are committed only after that transaction. An invalid event goes
// to <topic>.dlq at once; a permanent failure after EVENTS_MAX_ATTEMPTS attempts; a transient
// one (database or Kafka away) is retried until it passes. Run returns nil after ctx is
// cancelled, or an error wrapping ErrConsumerFailed when the process should exit non-zero.
//
// Expiring: ExpirePendingOrders cancels PENDING orders older than cfg.PaymentTimeout (reason
// payment_timeout) with order.cancelled, as `manage.py expire_orders` does.
//
// Stuck sagas: NewStuckOrdersCollector(pool, cfg, logger) is musiccorp_orders_stuck{status},
// computed from the database at scrape time; register it in the one process that runs the
// consumer (as the Django side serves it from its consumer's health server).
//
// Metrics are registered in prometheus.DefaultRegisterer when the package loads, under the
// Python services' names (musiccorp_events_consumed_total, musiccorp_outbox_pending,
// musiccorp_orders_total, ...); serve them with promhttp.Handler() and count order
// transitions with CountOrderTransition rather than registering musiccorp_orders_total again.
// Logs go to the *slog.Logger given (JSON in production), each message's lines with its
// correlation_id, topic, partition, offset, key and event_id.
package events
