// Package money is exact decimal arithmetic in cents for order totals.
//
// The order service stores and publishes money as two-place decimal strings ("19.99",
// schemas/_defs.json "money"); floats would round, so amounts are whole cents in an int64.
package money

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// Cents is an amount in hundredths of the currency unit.
type Cents int64

// MaxTotal is the largest total the events' money format can carry (ten integer digits),
// as orders.models.MAX_TOTAL.
const MaxTotal Cents = 999_999_999_999

// ErrMalformed is returned for text that is not a finite decimal number.
var ErrMalformed = errors.New("not a decimal number")

// ErrTooLarge is returned for an amount beyond what Cents holds.
var ErrTooLarge = errors.New("amount too large")

// Parse reads a decimal ("14.99", "15", "-1.005", "1e2") and rounds it to cents half to
// even, as Python's Decimal.quantize(Decimal("0.01")) does by default.
func Parse(text string) (Cents, error) {
	text = strings.TrimSpace(text)
	if text == "" || strings.ContainsAny(text, "xXpP_/") {
		return 0, ErrMalformed
	}
	rat, ok := new(big.Rat).SetString(text)
	if !ok {
		return 0, ErrMalformed
	}
	scaled := new(big.Rat).Mul(rat, big.NewRat(100, 1))
	rounded := roundHalfEven(scaled)
	if !rounded.IsInt64() {
		return 0, ErrTooLarge
	}
	return Cents(rounded.Int64()), nil
}

func roundHalfEven(r *big.Rat) *big.Int {
	quo, rem := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	twice := new(big.Int).Mul(new(big.Int).Abs(rem), big.NewInt(2))
	switch twice.Cmp(r.Denom()) {
	case 1:
		quo.Add(quo, big.NewInt(int64(r.Sign())))
	case 0:
		if quo.Bit(0) == 1 {
			quo.Add(quo, big.NewInt(int64(r.Sign())))
		}
	}
	return quo
}

// Times multiplies by a quantity; ok is false on overflow.
func (c Cents) Times(quantity int) (Cents, bool) {
	product := new(big.Int).Mul(big.NewInt(int64(c)), big.NewInt(int64(quantity)))
	if !product.IsInt64() {
		return 0, false
	}
	return Cents(product.Int64()), true
}

// String is the two-place decimal text ("47.97", "-0.50").
func (c Cents) String() string {
	sign, value := "", int64(c)
	if value < 0 {
		sign, value = "-", -value
	}
	return fmt.Sprintf("%s%d.%02d", sign, value/100, value%100)
}
