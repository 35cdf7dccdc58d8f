package events

import (
	"hash/crc32"
	"testing"
	"time"
)

func TestConfigFromEnvReadsTheDjangoSettingsNames(t *testing.T) {
	for name, value := range map[string]string{
		"KAFKA_BOOTSTRAP_SERVERS": "kafka-0:9092, kafka-1:9092", "KAFKA_SECURITY_PROTOCOL": "sasl_plaintext",
		"KAFKA_SASL_USERNAME": "order", "KAFKA_SASL_PASSWORD": "secret", "EVENTS_MAX_ATTEMPTS": "5",
		"EVENTS_RELAY_COALESCE_MS": "2.5", "EVENTS_RELAY_LEASE_SECONDS": "30", "EVENTS_TOPIC_PREFIX": "",
		"EVENTS_SCHEMA_DIR": "", "ORDER_PAYMENT_TIMEOUT_SECONDS": "60", "KAFKA_SASL_MECHANISM": "",
	} {
		t.Setenv(name, value)
	}
	cfg, err := ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.BootstrapServers) != 2 || cfg.BootstrapServers[1] != "kafka-1:9092" || cfg.SecurityProtocol != "SASL_PLAINTEXT" ||
		cfg.SASLMechanism != "SCRAM-SHA-512" || cfg.SASLUsername != "order" || cfg.SASLPassword != "secret" {
		t.Errorf("Kafka settings %+v", cfg)
	}
	// The Django consumer's group: both implementations share partitions and offsets.
	if cfg.GroupID != "order" {
		t.Errorf("group %q, want the Django order consumer's %q", cfg.GroupID, "order")
	}
	if cfg.MaxAttempts != 5 || cfg.RelayCoalesce != 2500*time.Microsecond || cfg.RelayLease != 30*time.Second ||
		cfg.PaymentTimeout != time.Minute || cfg.RelayBatchSize != 200 || cfg.PublishTimeout != 10*time.Second {
		t.Errorf("event settings %+v", cfg)
	}
	if cfg.SchemaDir != DefaultSchemaDir || cfg.Topic("payment.received") != "payment.received" {
		t.Errorf("schema dir %q, topic %q", cfg.SchemaDir, cfg.Topic("payment.received"))
	}

	t.Setenv("EVENTS_RELAY_LEASE_SECONDS", "5")
	if _, err := ConfigFromEnv(); err == nil {
		t.Error("a lease shorter than the publish timeout + 2 s was accepted")
	}
	t.Setenv("EVENTS_RELAY_LEASE_SECONDS", "")
	t.Setenv("EVENTS_MAX_ATTEMPTS", "three")
	if _, err := ConfigFromEnv(); err == nil {
		t.Error("a non-integer EVENTS_MAX_ATTEMPTS was accepted")
	}
	t.Setenv("EVENTS_MAX_ATTEMPTS", "")
	t.Setenv("KAFKA_SECURITY_PROTOCOL", "SSL")
	if _, err := ConfigFromEnv(); err == nil {
		t.Error("an unsupported security protocol was accepted")
	}
}

// The partitions the Python relay's producer (confluent-kafka 2.16.1, librdkafka 2.16.0,
// default partitioner "consistent_random", the Django relay's configuration) chose for these
// keys: its delivery reports of a real produce to topics of 3, 6 and 12 partitions on the
// local stack's broker.
var confluentPartitions = []struct {
	key        string
	partitions int
	want       int
}{
	{"00000000-0000-4000-8000-000000000000", 3, 0},
	{"0b8e8c1e-5f0a-4c1e-9b9e-1a2b3c4d5e6f", 3, 2},
	{"3f2b8c1e-7d4a-4e9b-8a61-0c5d2e7f9b13", 3, 2},
	{"6d1f0e2a-93b4-47c5-a8d6-e7f8091a2b3c", 3, 1},
	{"a", 3, 0},
	{"a9e4d2c7-1b3f-4c8e-9d2a-6f0b1e3c5a77", 3, 1},
	{"ffffffff-ffff-4fff-bfff-ffffffffffff", 3, 1},
	{"order-1", 3, 1},
	{"00000000-0000-4000-8000-000000000000", 6, 3},
	{"0b8e8c1e-5f0a-4c1e-9b9e-1a2b3c4d5e6f", 6, 2},
	{"3f2b8c1e-7d4a-4e9b-8a61-0c5d2e7f9b13", 6, 5},
	{"6d1f0e2a-93b4-47c5-a8d6-e7f8091a2b3c", 6, 4},
	{"a", 6, 3},
	{"a9e4d2c7-1b3f-4c8e-9d2a-6f0b1e3c5a77", 6, 4},
	{"ffffffff-ffff-4fff-bfff-ffffffffffff", 6, 4},
	{"order-1", 6, 1},
	{"00000000-0000-4000-8000-000000000000", 12, 3},
	{"0b8e8c1e-5f0a-4c1e-9b9e-1a2b3c4d5e6f", 12, 2},
	{"3f2b8c1e-7d4a-4e9b-8a61-0c5d2e7f9b13", 12, 11},
	{"6d1f0e2a-93b4-47c5-a8d6-e7f8091a2b3c", 12, 10},
	{"a", 12, 3},
	{"a9e4d2c7-1b3f-4c8e-9d2a-6f0b1e3c5a77", 12, 10},
	{"ffffffff-ffff-4fff-bfff-ffffffffffff", 12, 10},
	{"order-1", 12, 7},
}

func TestLibrdkafkaPartitionMatchesConfluentKafka(t *testing.T) {
	if len(confluentPartitions) == 0 {
		t.Fatal("no recorded partitions")
	}
	for _, c := range confluentPartitions {
		if got := LibrdkafkaPartition([]byte(c.key), c.partitions); got != c.want {
			t.Errorf("key %s, %d partitions: %d, the Python producer chose %d", c.key, c.partitions, got, c.want)
		}
		// The documented rule: CRC-32 (IEEE) of the key, unsigned, modulo the partition count.
		if got := int(crc32.ChecksumIEEE([]byte(c.key)) % uint32(c.partitions)); got != c.want {
			t.Errorf("key %s: the CRC-32 rule gives %d, the Python producer chose %d", c.key, got, c.want)
		}
	}
}
