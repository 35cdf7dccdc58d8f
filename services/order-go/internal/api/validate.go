package api

import (
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The rules and messages of services/order/orders/api/serializers.py (DRF's own wording), so a
// client sees the same 400 bodies from either implementation.
const (
	MaxItems    = 50
	MaxQuantity = 1000
	msgRequired = "This field is required."
	msgNull     = "This field may not be null."
	msgBlank    = "This field may not be blank."
	msgSKU      = "A SKU: upper-case letters, digits and dashes, at most 32."
	msgInteger  = "A whole number is required (not a string, decimal or boolean)."
	msgNullChar = "Null characters are not allowed."
)

var skuPattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{0,31}$`)

// Line is one validated, merged line of an order request.
type Line struct {
	SKU      string
	Quantity int
}

// OrderRequest is a validated POST /orders body.
type OrderRequest struct {
	CustomerEmail string
	Items         []Line // merged: each SKU once, in order of first appearance
	PaymentToken  string
}

// fieldErrors is DRF's error body: field -> messages (or nested errors for items).
type fieldErrors map[string]any

// parseOrderRequest validates a decoded JSON body; the errors are nil when it is valid.
func parseOrderRequest(body any) (*OrderRequest, fieldErrors) {
	object, ok := body.(map[string]any)
	if !ok {
		if body == nil {
			return nil, fieldErrors{"non_field_errors": []string{"No data provided"}}
		}
		return nil, fieldErrors{"non_field_errors": []string{
			fmt.Sprintf("Invalid data. Expected a dictionary, but got %s.", pythonType(body))}}
	}
	errs := fieldErrors{}
	request := &OrderRequest{}
	if value, messages := emailField(object, "customer_email"); messages != nil {
		errs["customer_email"] = messages
	} else {
		request.CustomerEmail = value
	}
	if items, itemErrs := itemsField(object); itemErrs != nil {
		errs["items"] = itemErrs
	} else {
		request.Items = items
	}
	if value, messages := strictCharField(object, "payment_token", 1, 100); messages != nil {
		errs["payment_token"] = messages
	} else {
		request.PaymentToken = value
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return request, nil
}

// emailField is DRF's EmailField(max_length=254): a CharField whose validators are the length
// and Django's EmailValidator, each adding its message.
func emailField(object map[string]any, name string) (string, []string) {
	value, messages := charField(object, name, true, 0, 254, "Enter a valid email address.")
	if value == "" {
		return "", messages
	}
	messages = append(messages, emailErrors(value)...)
	if len(messages) > 0 {
		return "", messages
	}
	return value, nil
}

// charField is DRF's CharField: strings and numbers (as text), whitespace trimmed when trim;
// invalid is the field's message for another JSON type.
func charField(object map[string]any, name string, trim bool, minLength, maxLength int, invalid string) (string, []string) {
	raw, present := object[name]
	if !present {
		return "", []string{msgRequired}
	}
	var text string
	switch value := raw.(type) {
	case nil:
		return "", []string{msgNull}
	case string:
		text = value
	case json.Number:
		text = pythonNumberText(value)
	default:
		return "", []string{invalid}
	}
	if trim {
		text = strings.TrimSpace(text)
	}
	if text == "" {
		return "", []string{msgBlank}
	}
	if messages := lengthErrors(text, minLength, maxLength); messages != nil {
		return text, messages
	}
	return text, nil
}

// strictCharField is serializers.StrictCharField: only a JSON string, never trimmed.
func strictCharField(object map[string]any, name string, minLength, maxLength int) (string, []string) {
	raw, present := object[name]
	switch value := raw.(type) {
	case nil:
		if !present {
			return "", []string{msgRequired}
		}
		return "", []string{msgNull}
	case string:
		if value == "" {
			return "", []string{msgBlank}
		}
		return value, lengthErrors(value, minLength, maxLength)
	default:
		return "", []string{"A string is required."}
	}
}

func lengthErrors(text string, minLength, maxLength int) []string {
	var messages []string
	length := utf8.RuneCountInString(text)
	if maxLength > 0 && length > maxLength {
		messages = append(messages, fmt.Sprintf("Ensure this field has no more than %d characters.", maxLength))
	}
	if length < minLength {
		messages = append(messages, fmt.Sprintf("Ensure this field has at least %d characters.", minLength))
	}
	if strings.ContainsRune(text, 0) {
		messages = append(messages, msgNullChar)
	}
	return messages
}

// Django's EmailValidator (ASCII domains; an internationalised domain is refused here).
var (
	emailUser   = regexp.MustCompile("(?i)^(?:[-!#$%&'*+/=?^_`{}|~0-9A-Z]+(?:\\.[-!#$%&'*+/=?^_`{}|~0-9A-Z]+)*|\"(?:[\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f!#-\\[\\]-\\x7f]|\\\\[\\x01-\\x09\\x0b\\x0c\\x0e-\\x7f])*\")$")
	emailDomain = regexp.MustCompile(`(?i)^(?:[A-Z0-9](?:[A-Z0-9-]{0,61}[A-Z0-9])?\.)+[A-Z0-9-]{2,63}$`)
	emailIP     = regexp.MustCompile(`^\[[0-9.]+\]$`)
)

func emailErrors(value string) []string {
	invalid := []string{"Enter a valid email address."}
	at := strings.LastIndex(value, "@")
	if at < 0 || len(value) > 320 {
		return invalid
	}
	user, domain := value[:at], value[at+1:]
	if !emailUser.MatchString(user) {
		return invalid
	}
	if domain == "localhost" || emailIP.MatchString(domain) {
		return nil
	}
	if !emailDomain.MatchString(domain) || strings.HasSuffix(domain, "-") {
		return invalid
	}
	return nil
}

// itemsField validates and merges the lines; its errors are DRF's nested shapes.
func itemsField(object map[string]any) ([]Line, any) {
	raw, present := object["items"]
	if !present {
		return nil, []string{msgRequired}
	}
	if raw == nil {
		return nil, []string{msgNull}
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fieldErrors{"non_field_errors": []string{
			fmt.Sprintf("Expected a list of items but got type \"%s\".", pythonType(raw))}}
	}
	if len(list) == 0 {
		return nil, fieldErrors{"non_field_errors": []string{"This list may not be empty."}}
	}
	if len(list) > MaxItems {
		return nil, fieldErrors{"non_field_errors": []string{
			fmt.Sprintf("Ensure this field has no more than %d elements.", MaxItems)}}
	}
	// DRF 3.16 reports the failing entries only, by index.
	lines, perItem := make([]Line, 0, len(list)), fieldErrors{}
	for i, entry := range list {
		line, errs := lineField(entry)
		if len(errs) > 0 {
			perItem[strconv.Itoa(i)] = errs
		} else {
			lines = append(lines, line)
		}
	}
	if len(perItem) > 0 {
		return nil, perItem
	}
	return mergeLines(lines)
}

func lineField(entry any) (Line, fieldErrors) {
	object, ok := entry.(map[string]any)
	if !ok {
		return Line{}, fieldErrors{"non_field_errors": []string{
			fmt.Sprintf("Invalid data. Expected a dictionary, but got %s.", pythonType(entry))}}
	}
	errs := fieldErrors{}
	sku, messages := charField(object, "sku", true, 0, 32, msgSKU)
	if sku != "" && !skuPattern.MatchString(sku) {
		messages = append(messages, msgSKU)
	}
	if messages != nil {
		errs["sku"] = messages
	}
	quantity, messages := quantityField(object)
	if messages != nil {
		errs["quantity"] = messages
	}
	return Line{SKU: sku, Quantity: quantity}, errs
}

// quantityField is StrictIntegerField(min 1, max 1000): a JSON integer literal only.
func quantityField(object map[string]any) (int, []string) {
	raw, present := object["quantity"]
	if !present {
		return 0, []string{msgRequired}
	}
	if raw == nil {
		return 0, []string{msgNull}
	}
	number, ok := raw.(json.Number)
	if !ok || strings.ContainsAny(string(number), ".eE") {
		return 0, []string{msgInteger}
	}
	value, ok := new(big.Int).SetString(string(number), 10)
	if !ok {
		return 0, []string{msgInteger}
	}
	if value.Cmp(big.NewInt(1)) < 0 {
		return 0, []string{"Ensure this value is greater than or equal to 1."}
	}
	if value.Cmp(big.NewInt(MaxQuantity)) > 0 {
		return 0, []string{fmt.Sprintf("Ensure this value is less than or equal to %d.", MaxQuantity)}
	}
	return int(value.Int64()), nil
}

// mergeLines adds up repeated SKUs (validate_items): at most MaxQuantity of one SKU per order.
func mergeLines(lines []Line) ([]Line, any) {
	var merged []Line
	position := map[string]int{}
	for _, line := range lines {
		if i, seen := position[line.SKU]; seen {
			merged[i].Quantity += line.Quantity
			continue
		}
		position[line.SKU] = len(merged)
		merged = append(merged, line)
	}
	var tooMany []string
	for _, line := range merged {
		if line.Quantity > MaxQuantity {
			tooMany = append(tooMany, line.SKU)
		}
	}
	if tooMany != nil {
		return nil, []string{fmt.Sprintf("At most %d of one SKU per order: %s.", MaxQuantity, strings.Join(tooMany, ", "))}
	}
	return merged, nil
}

// pythonType is the name Python gives a decoded JSON value's type, as DRF's messages use it.
func pythonType(value any) string {
	switch v := value.(type) {
	case nil:
		return "NoneType"
	case string:
		return "str"
	case bool:
		return "bool"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	case json.Number:
		if strings.ContainsAny(string(v), ".eE") {
			return "float"
		}
		return "int"
	}
	return fmt.Sprintf("%T", value)
}

// pythonNumberText is str() of the number Python's json would decode (ints as written; floats
// only ever fail the callers' checks, so their exact repr does not matter).
func pythonNumberText(number json.Number) string {
	return string(number)
}
