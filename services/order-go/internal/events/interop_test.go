package events

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// The Django order service's own code, run by the project's virtualenv (ORDER_GO_TEST_PYTHON,
// its python): it publishes rows for the keys given as arguments with publish_event, says
// "published", waits for a line on stdin, then runs the Django OutboxRelay until stdin closes.
const pythonRelayScript = `
import sys, threading
import django
django.setup()
from django.db import transaction
from musiccorp_common.events import publish_event
from musiccorp_common.events.outbox import OutboxRelay

relay_id, per_key, keys = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
for n in range(per_key):
    for key in keys:
        with transaction.atomic():
            publish_event("order.cancelled", key=key, data={"order_id": key, "reason": f"python {n}"})
print("published", flush=True)
sys.stdin.readline()
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
OutboxRelay(relay_id=relay_id).run(stop)
`

// The Django relay and the Go relay on one outbox, each also relaying the other's rows: every
// row is published exactly once, each order's events in order, on the partition librdkafka's
// rule gives, whichever relay sent it.
func TestPythonAndGoRelaysShareOneOutbox(t *testing.T) {
	pool, cfg := testPool(t), testConfig(t)
	python := requireEnv(t, "ORDER_GO_TEST_PYTHON")
	const partitions = 3
	createTopics(t, cfg, partitions, "order.cancelled")
	cfg.RelayBatchSize = 3
	ctx := context.Background()
	var goKeys, pythonKeys []string
	for range 4 {
		goKeys = append(goKeys, NewUUID())
		pythonKeys = append(pythonKeys, NewUUID())
	}
	const perKey = 5
	publishRows(t, ctx, pool, testPublisher(t, cfg), goKeys, perKey)

	pythonRelayID := "python-relay-" + NewUUID()[:8]
	cmd := exec.Command(python, append([]string{"-c", pythonRelayScript, pythonRelayID, fmt.Sprint(perKey)}, pythonKeys...)...)
	cmd.Dir = "../../../order"
	cmd.Env = append(os.Environ(),
		"DJANGO_SETTINGS_MODULE=config.settings", "DJANGO_SECRET_KEY=order-go-test-only",
		"DATABASE_URL="+os.Getenv("ORDER_GO_TEST_DATABASE_URL"), "EVENTS_TOPIC_PREFIX="+cfg.TopicPrefix,
		"EVENTS_RELAY_BATCH_SIZE=3", "EVENTS_RELAY_IDLE_SECONDS=0.2", "OTEL_TRACES_EXPORTER=none", "LOG_LEVEL=WARNING")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	lines := bufio.NewScanner(stdout)
	for lines.Scan() && lines.Text() != "published" {
	}
	if unsent := unsentRows(t, pool); unsent != 2*len(goKeys)*perKey {
		t.Fatalf("%d unsent rows before the relays start, want %d (python: %s)", unsent, 2*len(goKeys)*perKey, stderr.String())
	}
	go func() {
		for lines.Scan() { // the Python relay's log lines
		}
	}()

	goRelay, err := NewRelay(pool, cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); goRelay.Run(runCtx); goRelay.Close() }()
	if _, err := stdin.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "every row sent", func() bool { return unsentRows(t, pool) == 0 })
	stop()
	wg.Wait()
	_ = stdin.Close()
	if err := waitExit(cmd, 30*time.Second); err != nil {
		t.Errorf("the Python relay did not stop cleanly: %v\n%s", err, stderr.String())
	}

	want := 2 * len(goKeys) * perKey
	records := readTopic(t, cfg, cfg.Topic("order.cancelled"), want, 30*time.Second)
	if len(records) != want {
		t.Fatalf("%d messages for %d outbox rows", len(records), want)
	}
	seen := map[string]bool{}
	onKafka := map[string][]string{}
	for _, rec := range records {
		env := decodeEnvelope(t, rec.Value)
		if seen[env.EventID] {
			t.Errorf("event %s published twice", env.EventID)
		}
		seen[env.EventID] = true
		onKafka[string(rec.Key)] = append(onKafka[string(rec.Key)], env.EventID)
		if w := LibrdkafkaPartition(rec.Key, partitions); int(rec.Partition) != w {
			t.Errorf("key %s on partition %d, want %d", rec.Key, rec.Partition, w)
		}
		if h := headerMap(rec); h["x-correlation-id"] == "" || h["x-correlation-id"] != env.CorrelationID {
			t.Errorf("x-correlation-id %q, envelope's %q", h["x-correlation-id"], env.CorrelationID)
		}
	}
	for _, key := range append(goKeys, pythonKeys...) {
		rows, err := pool.Query(ctx, "SELECT event_id::text FROM "+outboxTable+" WHERE key = $1 ORDER BY created_at, event_id", key)
		if err != nil {
			t.Fatal(err)
		}
		var inOrder []string
		for rows.Next() {
			var id string
			_ = rows.Scan(&id)
			inOrder = append(inOrder, id)
		}
		rows.Close()
		if fmt.Sprint(onKafka[key]) != fmt.Sprint(inOrder) {
			t.Errorf("order %s: %v on Kafka, published %v", key, onKafka[key], inOrder)
		}
	}
	for _, id := range []string{pythonRelayID, goRelay.ID} {
		var n int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+outboxTable+" WHERE claimed_by = $1", id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		t.Logf("relay %s sent %d rows", id, n)
		if n == 0 {
			t.Errorf("relay %s sent nothing: the test did not exercise both relays", id)
		}
	}
}

func waitExit(cmd *exec.Cmd, timeout time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		return fmt.Errorf("still running after %s", timeout)
	}
}
