package main

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"musiccorp/order-go/internal/testdb"
)

// The binary itself: it refuses a database it does not know, serves, and on SIGTERM finishes
// the request in flight before it exits 0.

func build(t *testing.T) string {
	t.Helper()
	binary := filepath.Join(t.TempDir(), "order-go")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return binary
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func start(t *testing.T, binary string, env ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(binary)
	cmd.Env = append(os.Environ(), env...)
	output := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = output, output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd, output
}

func TestItRefusesADatabaseWithoutTheDjangoSchema(t *testing.T) {
	other, err := url.Parse(testdb.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	other.Path = "/postgres" // same server, never migrated
	cmd, output := start(t, build(t), "DATABASE_URL="+other.String(), "ORDER_GO_PORT="+freePort(t))
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("exit %v, want status 2\n%s", err, output)
	}
	if !strings.Contains(output.String(), "refusing to start") || !strings.Contains(output.String(), "django_migrations") {
		t.Errorf("no clear message:\n%s", output)
	}
}

func TestSIGTERMFinishesTheRequestInFlightThenExits0(t *testing.T) {
	catalog := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Second)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"count": 0, "results": []}`))
	}))
	defer catalog.Close()
	port := freePort(t)
	cmd, output := start(t, build(t), "DATABASE_URL="+testdb.URL(t), "ORDER_GO_PORT="+port,
		"ORDER_GO_BIND_HOST=127.0.0.1", "CATALOG_URL="+catalog.URL, "EVENTS_SCHEMA_DIR=../../../common/src/musiccorp_common/events/schemas")
	base := "http://127.0.0.1:" + port
	waitHealthy(t, base, output)

	answered := make(chan int, 1)
	go func() {
		body := `{"customer_email": "ann@example.com", "items": [{"sku": "CD001", "quantity": 1}], "payment_token": "tok_visa"}`
		response, err := http.Post(base+"/orders", "application/json", strings.NewReader(body))
		if err != nil {
			answered <- 0
			return
		}
		response.Body.Close()
		answered <- response.StatusCode
	}()
	time.Sleep(300 * time.Millisecond) // the request is waiting on catalog
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if status := <-answered; status != http.StatusBadRequest { // catalog knows no CD001: 400, answered in full
		t.Errorf("the request in flight got %d", status)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, output)
	}
	for _, line := range []string{`"message":"shutting down`, `"message":"order-go stopped"`, `"level":"info"`, `"correlation_id":`} {
		if !strings.Contains(output.String(), line) {
			t.Errorf("the log lacks %s:\n%s", line, output)
		}
	}
}

func waitHealthy(t *testing.T, base string, output *syncBuffer) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if response, err := http.Get(base + "/health/ready"); err == nil {
			response.Body.Close()
			if response.StatusCode == http.StatusOK {
				return
			}
		}
	}
	t.Fatalf("order-go never became ready:\n%s", output)
}

func freePort(t *testing.T) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	return strconv.Itoa(listener.Addr().(*net.TCPAddr).Port)
}
