// Kafka's own consumer (kafka-clients, from the broker's jars) reading topics read_committed from
// the beginning up to their end offsets (for read_committed: the last stable offset), so tests can
// count what a Java consumer sees, independently of kafkajs and its aborted-transaction filter.
// Run as a single-file program: java -cp '<kafka libs>/*' CommittedRecords.java BROKERS TOPIC...
// Prints one line per record: topic, partition, offset, base64 value (empty for null), tab-separated.
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class CommittedRecords {
  public static void main(String[] args) {
    Properties p = new Properties();
    p.put("bootstrap.servers", args[0]);
    p.put("isolation.level", "read_committed");
    p.put("enable.auto.commit", "false");
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> tps = new ArrayList<>();
      for (int i = 1; i < args.length; i++) c.partitionsFor(args[i]).forEach(pi -> tps.add(new TopicPartition(pi.topic(), pi.partition())));
      c.assign(tps);
      c.seekToBeginning(tps);
      Map<TopicPartition, Long> end = c.endOffsets(tps);
      Base64.Encoder b64 = Base64.getEncoder();
      StringBuilder out = new StringBuilder();
      while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
          if (r.offset() >= end.get(new TopicPartition(r.topic(), r.partition()))) continue;
          out.append(r.topic()).append('\t').append(r.partition()).append('\t').append(r.offset()).append('\t')
              .append(r.value() == null ? "" : b64.encodeToString(r.value())).append('\n');
        }
      }
      System.out.print(out);
    }
  }
}
