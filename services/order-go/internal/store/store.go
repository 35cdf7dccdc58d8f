// Package store reads and writes the order database: the tables the Django order project's
// migrations create (orders_order, orders_orderitem), so the Django admin and the Django
// service see every order order-go placed and the other way round.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"musiccorp/order-go/internal/money"
)

// Statuses of an order's saga (orders.models.OrderStatus).
const (
	StatusPending   = "PENDING"
	StatusPaid      = "PAID"
	StatusCompleted = "COMPLETED"
	StatusCancelled = "CANCELLED"
)

// Statuses lists every status, for validating filters.
var Statuses = []string{StatusPending, StatusPaid, StatusCompleted, StatusCancelled}

// ErrNotFound is returned when no order has the id or key asked for.
var ErrNotFound = errors.New("order not found")

// Item is one line of an order.
type Item struct {
	SKU       string
	Title     string
	UnitPrice money.Cents
	Quantity  int
	LineTotal money.Cents
}

// Order is a row of orders_order with its items.
type Order struct {
	ID             uuid.UUID
	Status         string
	CustomerEmail  string
	Total          money.Cents
	Currency       string
	PaymentID      string
	ShipmentID     string
	TrackingNumber string
	CancelReason   string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	IdempotencyKey *string
	Fingerprint    string
	Items          []Item
}

// Querier is what both a pool and a transaction offer.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

const orderColumns = `id, status, customer_email, total::text, currency, payment_id, shipment_id,
	tracking_number, cancel_reason, created_at, updated_at, idempotency_key, request_fingerprint`

// Get returns the order with its items, or ErrNotFound.
func Get(ctx context.Context, q Querier, id uuid.UUID) (*Order, error) {
	return one(ctx, q, "SELECT "+orderColumns+" FROM orders_order WHERE id = $1", id)
}

// ByIdempotencyKey returns the order placed with this Idempotency-Key, or ErrNotFound.
func ByIdempotencyKey(ctx context.Context, q Querier, key string) (*Order, error) {
	return one(ctx, q, "SELECT "+orderColumns+" FROM orders_order WHERE idempotency_key = $1", key)
}

func one(ctx context.Context, q Querier, sql string, arg any) (*Order, error) {
	orders, err := many(ctx, q, sql, arg)
	if err != nil {
		return nil, err
	}
	if len(orders) == 0 {
		return nil, ErrNotFound
	}
	return &orders[0], nil
}

// Filter narrows the list; empty fields filter nothing.
type Filter struct {
	Status        string
	CustomerEmail string // matched case-insensitively, as Django's iexact
}

// List returns one page of orders, newest first, and how many match in all.
func List(ctx context.Context, q Querier, f Filter, limit, offset int) ([]Order, int, error) {
	where := " WHERE ($1 = '' OR status = $1) AND ($2 = '' OR UPPER(customer_email) = UPPER($2))"
	var count int
	if err := q.QueryRow(ctx, "SELECT count(*) FROM orders_order"+where, f.Status, f.CustomerEmail).Scan(&count); err != nil {
		return nil, 0, err
	}
	orders, err := many(ctx, q, "SELECT "+orderColumns+" FROM orders_order"+where+
		" ORDER BY created_at DESC, id LIMIT $3 OFFSET $4", f.Status, f.CustomerEmail, limit, offset)
	return orders, count, err
}

func many(ctx context.Context, q Querier, sql string, args ...any) ([]Order, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	var orders []Order
	for rows.Next() {
		var o Order
		var total string
		err := rows.Scan(&o.ID, &o.Status, &o.CustomerEmail, &total, &o.Currency, &o.PaymentID, &o.ShipmentID,
			&o.TrackingNumber, &o.CancelReason, &o.CreatedAt, &o.UpdatedAt, &o.IdempotencyKey, &o.Fingerprint)
		if err != nil {
			rows.Close()
			return nil, err
		}
		if o.Total, err = money.Parse(total); err != nil {
			rows.Close()
			return nil, err
		}
		orders = append(orders, o)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return orders, attachItems(ctx, q, orders)
}

func attachItems(ctx context.Context, q Querier, orders []Order) error {
	if len(orders) == 0 {
		return nil
	}
	index := make(map[uuid.UUID]int, len(orders))
	ids := make([]uuid.UUID, len(orders))
	for i, o := range orders {
		index[o.ID], ids[i] = i, o.ID
	}
	rows, err := q.Query(ctx, `SELECT order_id, sku, title, unit_price::text, quantity, line_total::text
		FROM orders_orderitem WHERE order_id = ANY($1) ORDER BY id`, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var item Item
		var unit, line string
		if err := rows.Scan(&id, &item.SKU, &item.Title, &unit, &item.Quantity, &line); err != nil {
			return err
		}
		if item.UnitPrice, err = money.Parse(unit); err != nil {
			return err
		}
		if item.LineTotal, err = money.Parse(line); err != nil {
			return err
		}
		orders[index[id]].Items = append(orders[index[id]].Items, item)
	}
	return rows.Err()
}

// Insert writes a new order and its items (in the caller's transaction).
func Insert(ctx context.Context, tx pgx.Tx, o *Order) error {
	_, err := tx.Exec(ctx, `INSERT INTO orders_order (id, status, customer_email, total, currency, payment_id,
		shipment_id, tracking_number, cancel_reason, created_at, updated_at, idempotency_key, request_fingerprint)
		VALUES ($1, $2, $3, $4::numeric, $5, '', '', '', '', $6, $6, $7, $8)`,
		o.ID, o.Status, o.CustomerEmail, o.Total.String(), o.Currency, o.CreatedAt, o.IdempotencyKey, o.Fingerprint)
	if err != nil {
		return err
	}
	batch := &pgx.Batch{}
	for _, item := range o.Items {
		batch.Queue(`INSERT INTO orders_orderitem (order_id, sku, title, unit_price, quantity, line_total)
			VALUES ($1, $2, $3, $4::numeric, $5, $6::numeric)`,
			o.ID, item.SKU, item.Title, item.UnitPrice.String(), item.Quantity, item.LineTotal.String())
	}
	return tx.SendBatch(ctx, batch).Close()
}

// User is the part of a Django auth_user row that authentication needs.
type User struct {
	ID       int64
	Username string
	Password string // Django's encoded hash, "<algorithm>$<iterations>$<salt>$<hash>"
	IsActive bool
	IsStaff  bool
}

// UserByUsername returns the Django user with this exact username, or ErrNotFound.
func UserByUsername(ctx context.Context, pool *pgxpool.Pool, username string) (*User, error) {
	var u User
	err := pool.QueryRow(ctx, "SELECT id, username, password, is_active, is_staff FROM auth_user WHERE username = $1",
		username).Scan(&u.ID, &u.Username, &u.Password, &u.IsActive, &u.IsStaff)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	return &u, err
}
