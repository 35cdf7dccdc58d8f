package events

import (
	"context"
	"hash/crc32"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// The Kafka clients' options, the counterpart of musiccorp_common/events/kafka_config.py.

// LibrdkafkaPartition is librdkafka's default partitioner for a keyed message
// ("consistent_random"): the CRC-32 (IEEE) of the key modulo the partition count, in unsigned
// arithmetic. The Django relay's confluent-kafka producer uses it, so an order's events land
// on the same partition whichever implementation publishes them, and stay in order there.
func LibrdkafkaPartition(key []byte, partitions int) int {
	return int(crc32.ChecksumIEEE(key) % uint32(partitions))
}

// librdkafkaPartitioner places keyed records as LibrdkafkaPartition does. A record without a
// key (which the outbox never has) goes to a sticky partition, as librdkafka's goes to a
// random one.
func librdkafkaPartitioner() kgo.Partitioner {
	return kgo.StickyKeyPartitioner(LibrdkafkaPartition)
}

// securityOpts: connection and authentication options shared by producer, consumer and admin clients.
func (c Config) securityOpts() []kgo.Opt {
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.BootstrapServers...),
		// kafka_config._failover_config: find a restarted broker within a second, refresh
		// metadata every 10 s so a moved leader is found without waiting for an error.
		kgo.RetryBackoffFn(func(tries int) time.Duration { return capped(tries, 100*time.Millisecond, time.Second) }),
		kgo.MetadataMaxAge(10 * time.Second),
		kgo.DialTimeout(10 * time.Second),
	}
	if c.sasl() {
		auth := scram.Auth{User: c.SASLUsername, Pass: c.SASLPassword}
		if c.SASLMechanism == "SCRAM-SHA-256" {
			opts = append(opts, kgo.SASL(auth.AsSha256Mechanism()))
		} else {
			opts = append(opts, kgo.SASL(auth.AsSha512Mechanism()))
		}
	}
	return opts
}

// ProducerOpts: an idempotent producer (franz-go's default: acks=all, no duplicate or
// reordered retries within a partition), librdkafka's key partitioning, linger 5 ms and the
// delivery timeout EVENTS_PUBLISH_TIMEOUT_MS.
func (c Config) ProducerOpts() []kgo.Opt {
	return append(c.securityOpts(),
		kgo.ClientID(ServiceName+"-producer"),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(5*time.Millisecond),
		kgo.RecordDeliveryTimeout(c.PublishTimeout),
		kgo.RecordPartitioner(librdkafkaPartitioner()),
	)
}

// AdminOpts: a plain client for kadm (tests create their topics with it).
func (c Config) AdminOpts() []kgo.Opt {
	return append(c.securityOpts(), kgo.ClientID(ServiceName+"-admin"))
}

// consumerOpts: the group consumer. As in kafka_config.consumer_config, an offset is marked
// only after the handler's transaction committed and the client commits what is marked every
// EVENTS_CONSUMER_COMMIT_INTERVAL_MS (and on revocation and close): never a message the
// database did not see. Cooperative-sticky, the protocol the Django consumers use, so both
// implementations can be members of one group.
func (c Config) consumerOpts(topics []string, onAssigned, onRevoked func(context.Context, *kgo.Client, map[string][]int32)) []kgo.Opt {
	return append(c.ProducerOpts(),
		kgo.ClientID(ServiceName+"-consumer"),
		kgo.ConsumerGroup(c.GroupID),
		kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.Balancers(kgo.CooperativeStickyBalancer()),
		kgo.AutoCommitMarks(),
		kgo.AutoCommitInterval(c.ConsumerCommitInterval),
		kgo.RebalanceTimeout(c.MaxPollInterval),
		// A dead consumer's partitions move after 6 s; three heartbeats fit in that window.
		kgo.SessionTimeout(6*time.Second),
		kgo.HeartbeatInterval(2*time.Second),
		kgo.FetchMaxWait(time.Second),
		kgo.OnPartitionsAssigned(onAssigned),
		kgo.OnPartitionsRevoked(onRevoked),
		kgo.OnPartitionsLost(onRevoked),
	)
}

// capped: base, 2 base, 4 base, ... at most max, after the tries-th failure in a row (from 1).
func capped(tries int, base, max time.Duration) time.Duration {
	if tries < 1 {
		tries = 1
	}
	if tries > 32 {
		tries = 32
	}
	d := base << (tries - 1)
	if d > max || d <= 0 {
		return max
	}
	return d
}
