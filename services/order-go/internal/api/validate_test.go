package api

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// Each expected body was printed by the Django service's PlaceOrderSerializer (DRF 3.16) for
// the same input, rendered by DRF's JSONRenderer; only the order of keys differs (Go sorts them).
func TestValidationErrorsAreDRFs(t *testing.T) {
	ok := `"customer_email":"a@example.com","payment_token":"t"`
	line := `"items":[{"sku":"CD001","quantity":1}]`
	cases := map[string]string{
		`{` + ok + `,"items":"CD001"}`:   `{"items":{"non_field_errors":["Expected a list of items but got type \"str\"."]}}`,
		`{` + ok + `,"items":[]}`:        `{"items":{"non_field_errors":["This list may not be empty."]}}`,
		`{` + ok + `,"items":["CD001"]}`: `{"items":{"0":{"non_field_errors":["Invalid data. Expected a dictionary, but got str."]}}}`,
		`{` + ok + `,"items":[{"sku":"CD001","quantity":1},{"sku":"CD002","quantity":"2"}]}`:   `{"items":{"1":{"quantity":["A whole number is required (not a string, decimal or boolean)."]}}}`,
		`{` + ok + `,"items":[{"sku":"CD001","quantity":600},{"sku":"CD001","quantity":600}]}`: `{"items":["At most 1000 of one SKU per order: CD001."]}`,
		`{` + ok + `,"items":[{"sku":"","quantity":null}]}`:                                    `{"items":{"0":{"quantity":["This field may not be null."],"sku":["This field may not be blank."]}}}`,
		`{` + ok + `,"items":[{}]}`: `{"items":{"0":{"quantity":["This field is required."],"sku":["This field is required."]}}}`,
		`{` + ok + `,"items":null}`: `{"items":["This field may not be null."]}`,
		`{` + ok + `,"items":[{"sku":true,"quantity":1},{"sku":["x"],"quantity":1}]}`:                        `{"items":{"0":{"sku":["A SKU: upper-case letters, digits and dashes, at most 32."]},"1":{"sku":["A SKU: upper-case letters, digits and dashes, at most 32."]}}}`,
		`{"payment_token":"t",` + line + `,"customer_email":["x"]}`:                                          `{"customer_email":["Enter a valid email address."]}`,
		`{"payment_token":"t",` + line + `,"customer_email":true}`:                                           `{"customer_email":["Enter a valid email address."]}`,
		`{"payment_token":"t",` + line + `,"customer_email":"   "}`:                                          `{"customer_email":["This field may not be blank."]}`,
		`{"payment_token":"t",` + line + `,"customer_email":"a@b"}`:                                          `{"customer_email":["Enter a valid email address."]}`,
		`{"payment_token":"t",` + line + `,"customer_email":"` + strings.Repeat("a", 250) + `@example.com"}`: `{"customer_email":["Ensure this field has no more than 254 characters."]}`,
		`{"customer_email":"a@example.com",` + line + `,"payment_token":null}`:                               `{"payment_token":["This field may not be null."]}`,
		`{"customer_email":"a@example.com",` + line + `,"payment_token":5}`:                                  `{"payment_token":["A string is required."]}`,
		`null`: `{"non_field_errors":["No data provided"]}`,
		`[]`:   `{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}`,
		`42`:   `{"non_field_errors":["Invalid data. Expected a dictionary, but got int."]}`,
	}
	for input, want := range cases {
		decoder := json.NewDecoder(strings.NewReader(input))
		decoder.UseNumber()
		var body any
		if err := decoder.Decode(&body); err != nil {
			t.Fatal(err)
		}
		_, errs := parseOrderRequest(body)
		var got bytes.Buffer
		encoder := json.NewEncoder(&got)
		encoder.SetEscapeHTML(false)
		_ = encoder.Encode(errs)
		if strings.TrimSpace(got.String()) != want {
			t.Errorf("%s\n got %s\nwant %s", input, got.String(), want)
		}
	}
}

func TestWhatDjangoAcceptsIsAccepted(t *testing.T) {
	for _, input := range []string{
		`{"customer_email":" ann@example.com ","items":[{"sku":" CD001 ","quantity":1}],"payment_token":" "}`,
		`{"customer_email":"ann@localhost","items":[{"sku":"CD001","quantity":1}],"payment_token":"t"}`,
		`{"customer_email":"x@[1.2.3.4]","items":[{"sku":"CD001","quantity":1}],"payment_token":"t"}`,
	} {
		decoder := json.NewDecoder(strings.NewReader(input))
		decoder.UseNumber()
		var body any
		_ = decoder.Decode(&body)
		request, errs := parseOrderRequest(body)
		if errs != nil {
			t.Errorf("%s: %v", input, errs)
			continue
		}
		if request.PaymentToken == "" || strings.TrimSpace(request.CustomerEmail) != request.CustomerEmail || request.Items[0].SKU != "CD001" {
			t.Errorf("%s: %+v", input, request)
		}
	}
}
