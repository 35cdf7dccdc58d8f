package api

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"musiccorp/order-go/internal/events"
	"musiccorp/order-go/internal/money"
	"musiccorp/order-go/internal/peers"
	"musiccorp/order-go/internal/store"
)

// Placing an order, as services/order/orders/services.py place_order: every line priced by
// catalog (one call), reserved in inventory (one call, all or none), then ONE transaction with
// the PENDING order, its items and order.placed in the outbox. Any failure after the
// reservation releases it (one call, its own budget), so no stock stays reserved and no order
// stays PENDING.

// IdempotencyWait is how long a request waits for another with the same key (services.py).
var IdempotencyWait = 15 * time.Second

// Errors the API answers with a 4xx (see handlers.go).
type (
	rejected  struct{ message string } // 400: the order cannot be placed as asked
	keyReused struct{}                 // 422
	keyBusy   struct{}                 // 409
)

func (e *rejected) Error() string { return e.message }
func (*keyReused) Error() string {
	return "This Idempotency-Key was already used with a different request."
}
func (*keyBusy) Error() string {
	return "A request with this Idempotency-Key is still being processed; retry later."
}

type pricedLine struct {
	store.Item
	currency string
}

// database is what the placement writes through: the pool, or for a request with an
// Idempotency-Key the one connection holding the key's lock (so a request never needs a second
// connection while it holds one: a full pool cannot deadlock).
type database interface {
	store.Querier
	Begin(ctx context.Context) (pgx.Tx, error)
}

// place returns the order and whether it was created (false: an Idempotency-Key replay).
func (s *Server) place(ctx context.Context, request *OrderRequest, key *string) (*store.Order, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.Config.PeerBudget)
	defer cancel()
	fingerprint := Fingerprint(request)
	var db database = s.Pool
	if key != nil {
		conn, err := s.lockKey(ctx, *key)
		if err != nil {
			return nil, false, err
		}
		defer unlock(conn, IdempotencyLockID(*key))
		db = conn
		existing, err := store.ByIdempotencyKey(ctx, db, *key)
		if err == nil {
			if existing.Fingerprint != fingerprint {
				return nil, false, &keyReused{}
			}
			return existing, false, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, false, err
		}
	}
	lines, err := s.price(ctx, request.Items)
	if err != nil {
		return nil, false, err
	}
	orderID := uuid.New()
	if err := s.reserveAll(ctx, orderID, lines); err != nil {
		return nil, false, err
	}
	order, err := s.createPending(ctx, db, orderID, request, lines, key, fingerprint)
	if err != nil {
		s.releaseAll(ctx, orderID, lines)
		return nil, false, err
	}
	return order, true, nil
}

func (s *Server) price(ctx context.Context, items []Line) ([]pricedLine, error) {
	skus := make([]string, len(items))
	for i, item := range items {
		skus[i] = item.SKU
	}
	albums, err := s.Catalog.AlbumsBySKU(ctx, skus)
	if err != nil {
		return nil, err
	}
	var lines []pricedLine
	var total money.Cents
	for _, item := range items {
		album := albums[item.SKU]
		price, err := money.Parse(album.Price)
		if errors.Is(err, money.ErrTooLarge) {
			return nil, &rejected{fmt.Sprintf("The order total exceeds %s.", money.MaxTotal)}
		}
		if err != nil || price < 0 {
			return nil, &peers.Unavailable{Service: "catalog", Reason: "malformed album price/currency for " + item.SKU}
		}
		lineTotal, ok := price.Times(item.Quantity)
		if !ok || lineTotal > money.MaxTotal {
			return nil, &rejected{fmt.Sprintf("The order total exceeds %s.", money.MaxTotal)}
		}
		line := pricedLine{store.Item{SKU: item.SKU, Title: truncate(album.Title, 200), UnitPrice: price,
			Quantity: item.Quantity, LineTotal: lineTotal}, album.Currency}
		if len(lines) > 0 && line.currency != lines[0].currency {
			first := lines[0]
			return nil, &rejected{fmt.Sprintf("All items must share one currency: %s is in %s, %s in %s.",
				line.SKU, line.currency, first.SKU, first.currency)}
		}
		lines = append(lines, line)
		total += lineTotal
	}
	if total > money.MaxTotal {
		return nil, &rejected{fmt.Sprintf("The order total exceeds %s.", money.MaxTotal)}
	}
	return lines, nil
}

// reserveAll: a refusal (out of stock, unknown SKU) reserved nothing; after anything else the
// reservation may have happened with only its answer lost, so every line is released.
func (s *Server) reserveAll(ctx context.Context, orderID uuid.UUID, lines []pricedLine) error {
	request := make([]peers.Line, len(lines))
	for i, line := range lines {
		request[i] = peers.Line{SKU: line.SKU, Quantity: line.Quantity}
	}
	err := s.Inventory.ReserveOrder(ctx, orderID.String(), request)
	var outOfStock *peers.OutOfStock
	var unknown *peers.UnknownSKU
	if err != nil && !errors.As(err, &outOfStock) && !errors.As(err, &unknown) {
		s.releaseAll(ctx, orderID, lines)
	}
	return err
}

// releaseAll is best effort within its own budget (the placement's may be spent). A release
// that does not get through is no leak: inventory's sweeper releases reservations that no
// order.placed confirmed.
func (s *Server) releaseAll(ctx context.Context, orderID uuid.UUID, lines []pricedLine) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.Config.ReleaseBudget)
	defer cancel()
	skus := make([]string, len(lines))
	for i, line := range lines {
		skus[i] = line.SKU
	}
	if err := s.Inventory.ReleaseOrder(ctx, orderID.String(), skus); err != nil {
		s.Log.ErrorContext(ctx, "could not release the reservations", "order_id", orderID.String(),
			"skus", strings.Join(skus, ", "), "error", err.Error())
	}
}

// createPending writes the order, its items and order.placed in one transaction.
func (s *Server) createPending(ctx context.Context, db database, orderID uuid.UUID, request *OrderRequest, lines []pricedLine,
	key *string, fingerprint string) (*store.Order, error) {
	// The peers' budget does not bound the database work: a slow peer must not abort a commit.
	ctx = context.WithoutCancel(ctx)
	order := &store.Order{
		ID: orderID, Status: store.StatusPending, CustomerEmail: request.CustomerEmail,
		Currency: lines[0].currency, CreatedAt: time.Now().UTC().Truncate(time.Microsecond),
		IdempotencyKey: key, Fingerprint: fingerprint,
	}
	order.UpdatedAt = order.CreatedAt
	items := make([]map[string]any, len(lines))
	for i, line := range lines {
		order.Items = append(order.Items, line.Item)
		order.Total += line.LineTotal
		items[i] = map[string]any{"sku": line.SKU, "quantity": line.Quantity, "unit_price": line.UnitPrice.String()}
	}
	data := map[string]any{
		"order_id": orderID.String(), "customer_email": order.CustomerEmail, "items": items,
		"total": order.Total.String(), "currency": order.Currency, "payment_token": request.PaymentToken,
	}
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		if err := store.Insert(ctx, tx, order); err != nil {
			return err
		}
		_, err := s.Outbox.Publish(ctx, tx, "order.placed", orderID.String(), data, CorrelationID(ctx))
		return err
	})
	if err != nil {
		return nil, err
	}
	events.CountOrderTransition(store.StatusPending)
	s.Log.InfoContext(ctx, "order placed", "logger", "musiccorp.order.services", "order_id", orderID.String(),
		"total", order.Total.String(), "currency", order.Currency)
	return order, nil
}

// lockKey serialises requests with one Idempotency-Key by a PostgreSQL session advisory lock,
// the same lock id as the Django service's, so both implementations exclude each other. The
// lock is the connection's (a crashed process leaves none behind); it returns that connection,
// which the caller gives back with unlock.
func (s *Server) lockKey(ctx context.Context, key string) (*pgxpool.Conn, error) {
	conn, err := s.Pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	wait := IdempotencyWait
	if deadline, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(deadline))
	}
	until := time.Now().Add(wait)
	id := IdempotencyLockID(key)
	for {
		var locked bool
		if err := conn.QueryRow(context.WithoutCancel(ctx), "SELECT pg_try_advisory_lock($1)", id).Scan(&locked); err != nil {
			conn.Release()
			return nil, err
		}
		if locked {
			return conn, nil
		}
		if !time.Now().Before(until) {
			conn.Release()
			return nil, &keyBusy{}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func unlock(conn *pgxpool.Conn, id int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", id); err != nil {
		// A connection that cannot unlock must not go back to the pool still holding the lock.
		_ = conn.Conn().Close(ctx)
	}
	conn.Release()
}

// IdempotencyLockID is services.idempotency_lock_id: the first 8 bytes of
// sha256("order-idempotency:" + key) as a signed big-endian 64-bit number.
func IdempotencyLockID(key string) int64 {
	digest := sha256.Sum256([]byte("order-idempotency:" + key))
	return int64(binary.BigEndian.Uint64(digest[:8]))
}

// Fingerprint is OrderRequest.fingerprint() of services.py, byte for byte: sha256 of
// json.dumps({"customer_email", "items": sorted [sku, quantity] pairs, "payment_token"},
// separators=(",", ":")) with Python's ASCII escaping, so a retry may reach either service.
func Fingerprint(request *OrderRequest) string {
	pairs := make([]Line, len(request.Items))
	copy(pairs, request.Items)
	sortLines(pairs)
	var b strings.Builder
	b.WriteString(`{"customer_email":`)
	b.WriteString(pythonJSONString(request.CustomerEmail))
	b.WriteString(`,"items":[`)
	for i, line := range pairs {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "[%s,%d]", pythonJSONString(line.SKU), line.Quantity)
	}
	b.WriteString(`],"payment_token":`)
	b.WriteString(pythonJSONString(request.PaymentToken))
	b.WriteByte('}')
	digest := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(digest[:])
}

// sortLines orders as Python sorts [sku, quantity] lists (SKUs are unique after merging).
func sortLines(lines []Line) {
	for i := 1; i < len(lines); i++ {
		for j := i; j > 0 && lines[j].SKU < lines[j-1].SKU; j-- {
			lines[j], lines[j-1] = lines[j-1], lines[j]
		}
	}
}

// pythonJSONString is json.dumps(text) with ensure_ascii=True.
func pythonJSONString(text string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range text {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || (r > 0x7e && r < 0x10000):
			fmt.Fprintf(&b, `\u%04x`, r)
		case r >= 0x10000:
			r -= 0x10000
			fmt.Fprintf(&b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func truncate(text string, runes int) string {
	if utf8.RuneCountInString(text) <= runes {
		return text
	}
	return string([]rune(text)[:runes])
}
