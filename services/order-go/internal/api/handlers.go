package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"musiccorp/order-go/internal/peers"
	"musiccorp/order-go/internal/store"
)

// IdempotencyHeader and its rule: 1 to 100 printable ASCII characters, not all blank.
const IdempotencyHeader = "Idempotency-Key"

var idempotencyKey = regexp.MustCompile(`^[\x20-\x7e]{1,100}$`)

// MaxBody is Django's DATA_UPLOAD_MAX_MEMORY_SIZE: a larger body is refused.
const MaxBody = 2_621_440

// create is POST /orders (views.OrderViewSet.create).
func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	var key *string
	if values, present := r.Header[IdempotencyHeader]; present {
		value := values[0]
		if !idempotencyKey.MatchString(value) || strings.TrimSpace(value) == "" {
			writeJSON(w, http.StatusBadRequest, fieldErrors{IdempotencyHeader: []string{"1 to 100 printable ASCII characters."}})
			return
		}
		key = &value
	}
	body, status, message := readJSON(r)
	if status != 0 {
		detail(w, status, message)
		return
	}
	request, errs := parseOrderRequest(body)
	if errs != nil {
		writeJSON(w, http.StatusBadRequest, errs)
		return
	}
	ctx := peers.WithCorrelationID(r.Context(), CorrelationID(r.Context()))
	order, created, err := s.place(ctx, request, key)
	if err != nil {
		s.placementFailed(w, r, err)
		return
	}
	if !created {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeJSON(w, http.StatusCreated, orderBody(order))
}

func (s *Server) placementFailed(w http.ResponseWriter, r *http.Request, err error) {
	var unknown *peers.UnknownSKU
	var outOfStock *peers.OutOfStock
	var unavailable *peers.Unavailable
	var refused *rejected
	var reused *keyReused
	var busy *keyBusy
	switch {
	case errors.As(err, &unknown):
		detail(w, http.StatusBadRequest, "Unknown SKU: "+unknown.SKU+".")
	case errors.As(err, &refused):
		detail(w, http.StatusBadRequest, refused.message)
	case errors.As(err, &outOfStock):
		detail(w, http.StatusConflict, "Not enough stock for "+outOfStock.SKU+".")
	case errors.As(err, &unavailable):
		s.Log.WarnContext(r.Context(), "peer unavailable", "service", unavailable.Service, "reason", unavailable.Reason)
		detail(w, http.StatusServiceUnavailable, "The "+unavailable.Service+" service is temporarily unavailable.")
	case errors.As(err, &reused):
		detail(w, http.StatusUnprocessableEntity, reused.Error())
	case errors.As(err, &busy):
		detail(w, http.StatusConflict, busy.Error())
	default:
		failure(w, r, s.Log, err)
	}
}

// readJSON decodes the body as DRF's JSONParser would: an empty body is an empty object,
// another media type 415, malformed JSON 400. Numbers stay json.Number (integers are checked
// by their literal, as Python's json tells 2 from 2.0).
func readJSON(r *http.Request) (any, int, string) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return nil, http.StatusBadRequest, "Bad request."
	}
	if len(raw) > MaxBody {
		return nil, http.StatusRequestEntityTooLarge, "request body too large"
	}
	if len(raw) == 0 {
		return map[string]any{}, 0, ""
	}
	contentType := r.Header.Get("Content-Type")
	if media, _, err := mime.ParseMediaType(contentType); err != nil || media != "application/json" {
		return nil, http.StatusUnsupportedMediaType, `Unsupported media type "` + contentType + `" in request.`
	}
	decoder := json.NewDecoder(bytes.NewReader(raw))
	decoder.UseNumber()
	var body any
	if err := decoder.Decode(&body); err != nil {
		return nil, http.StatusBadRequest, "JSON parse error - " + err.Error()
	}
	if _, err := decoder.Token(); err != io.EOF {
		return nil, http.StatusBadRequest, "JSON parse error - Extra data"
	}
	return body, 0, ""
}

// retrieve is GET /orders/<id>: open, an unknown or malformed id is 404.
func (s *Server) retrieve(w http.ResponseWriter, r *http.Request, id string) {
	orderID, err := uuid.Parse(id)
	if err != nil {
		detail(w, http.StatusNotFound, "No Order matches the given query.")
		return
	}
	order, err := store.Get(r.Context(), s.Pool, orderID)
	if errors.Is(err, store.ErrNotFound) {
		detail(w, http.StatusNotFound, "No Order matches the given query.")
		return
	}
	if err != nil {
		failure(w, r, s.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, orderDetailBody(order))
}

const (
	pageSize    = 20
	maxPageSize = 100
	listMessage = "Listing requires an authenticated staff user; filter by order id instead."
)

// list is GET /orders?status=&customer_email=: staff only, paginated, newest first.
func (s *Server) list(w http.ResponseWriter, r *http.Request, user *principal) {
	if user == nil || !user.isStaff {
		detail(w, http.StatusForbidden, listMessage)
		return
	}
	query := r.URL.Query()
	filter := store.Filter{Status: strings.TrimSpace(last(query, "status")), CustomerEmail: strings.TrimSpace(last(query, "customer_email"))}
	errs := fieldErrors{}
	if filter.Status != "" && !slices.Contains(store.Statuses, filter.Status) {
		errs["status"] = []string{`"` + filter.Status + `" is not a valid choice.`}
	}
	if len([]rune(filter.CustomerEmail)) > 254 {
		errs["customer_email"] = []string{"Ensure this field has no more than 254 characters."}
	}
	if len(errs) > 0 {
		writeJSON(w, http.StatusBadRequest, errs)
		return
	}
	size := positiveInt(last(query, "page_size"), pageSize)
	size = min(size, maxPageSize)
	page := 1
	if raw, present := query["page"]; present {
		var err error
		if page, err = strconv.Atoi(raw[len(raw)-1]); err != nil || page < 1 {
			detail(w, http.StatusNotFound, "Invalid page.")
			return
		}
	}
	orders, count, err := store.List(r.Context(), s.Pool, filter, size, (page-1)*size)
	if err != nil {
		failure(w, r, s.Log, err)
		return
	}
	pages := max(1, (count+size-1)/size)
	if page > pages {
		detail(w, http.StatusNotFound, "Invalid page.")
		return
	}
	results := make([]any, len(orders))
	for i := range orders {
		results[i] = orderDetailBody(&orders[i])
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"count": count, "next": pageLink(r, page+1, page < pages), "previous": pageLink(r, page-1, page > 1),
		"results": results,
	})
}

func last(query url.Values, name string) string {
	values := query[name]
	if len(values) == 0 {
		return ""
	}
	return values[len(values)-1]
}

func positiveInt(text string, fallback int) int {
	n, err := strconv.Atoi(text)
	if err != nil || n <= 0 {
		return fallback
	}
	return n
}

// pageLink is DRF's next/previous URL: the request's absolute URL with page replaced (the
// first page without one), through the gateway's host, scheme and prefix when it sent them.
func pageLink(r *http.Request, page int, exists bool) any {
	if !exists {
		return nil
	}
	scheme, host := "http", r.Host
	if r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	if forwarded := r.Header.Get("X-Forwarded-Host"); forwarded != "" {
		host = strings.TrimSpace(strings.Split(forwarded, ",")[0])
	}
	prefix := strings.TrimRight(r.Header.Get("X-Forwarded-Prefix"), "/")
	if !strings.HasPrefix(prefix, "/") || strings.Contains(prefix, "//") {
		prefix = ""
	}
	query := r.URL.Query()
	if page == 1 {
		query.Del("page")
	} else {
		query.Set("page", strconv.Itoa(page))
	}
	link := url.URL{Scheme: scheme, Host: host, Path: prefix + r.URL.Path, RawQuery: query.Encode()}
	return link.String()
}

// The order as OrderSerializer writes it (POST's answer) and as OrderDetailSerializer (GET's).
type itemBody struct {
	SKU       string `json:"sku"`
	Title     string `json:"title"`
	UnitPrice string `json:"unit_price"`
	Quantity  int    `json:"quantity"`
	LineTotal string `json:"line_total"`
}

type orderJSON struct {
	ID            string     `json:"id"`
	Status        string     `json:"status"`
	CustomerEmail string     `json:"customer_email"`
	Items         []itemBody `json:"items"`
	Total         string     `json:"total"`
	Currency      string     `json:"currency"`
	CreatedAt     string     `json:"created_at"`
}

type orderDetailJSON struct {
	orderJSON
	UpdatedAt      string `json:"updated_at"`
	PaymentID      string `json:"payment_id"`
	ShipmentID     string `json:"shipment_id"`
	TrackingNumber string `json:"tracking_number"`
	CancelReason   string `json:"cancel_reason"`
}

func orderBody(o *store.Order) orderJSON {
	items := make([]itemBody, len(o.Items))
	for i, item := range o.Items {
		items[i] = itemBody{item.SKU, item.Title, item.UnitPrice.String(), item.Quantity, item.LineTotal.String()}
	}
	return orderJSON{o.ID.String(), o.Status, o.CustomerEmail, items, o.Total.String(), o.Currency, drfTime(o.CreatedAt)}
}

func orderDetailBody(o *store.Order) orderDetailJSON {
	return orderDetailJSON{orderBody(o), drfTime(o.UpdatedAt), o.PaymentID, o.ShipmentID, o.TrackingNumber, o.CancelReason}
}

// drfTime is DRF's DateTimeField output in UTC: isoformat() with "Z" for "+00:00".
func drfTime(t time.Time) string {
	t = t.UTC().Truncate(time.Microsecond)
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02T15:04:05Z")
	}
	return t.Format("2006-01-02T15:04:05.000000Z")
}
