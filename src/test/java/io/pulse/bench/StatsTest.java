package io.pulse.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class StatsTest {

  @Test
  void nearestRankPercentilesOfOneToThousand() {
    long[] shuffled = LongStream.rangeClosed(1, 1000).map(i -> (i * 7919) % 1000 + 1).toArray();
    Stats s = Stats.of(shuffled);
    assertEquals(1000, s.count());
    assertEquals(500, s.percentile(50));
    assertEquals(990, s.percentile(99));
    assertEquals(999, s.percentile(99.9)); // not 1000: no floating-point rank drift
    assertEquals(1000, s.percentile(100));
    assertEquals(1, s.min());
    assertEquals(1000, s.max());
    assertEquals(500.5, s.mean(), 1e-9);
  }

  @Test
  void smallSetsTakeTheSampleAtTheCeilingRank() {
    Stats s = Stats.of(new long[] {30, 10, 20});
    assertEquals(20, s.percentile(50)); // rank ceil(1.5) = 2
    assertEquals(30, s.percentile(99)); // rank ceil(2.97) = 3
    assertEquals(10, s.percentile(0.001)); // rank at least 1
    assertEquals(Stats.of(new long[] {7}).percentile(99.9), 7);
  }

  @Test
  void millisecondsAndEmpty() {
    Stats s = Stats.of(new long[] {1500, 2500});
    assertEquals(1.5, s.percentileMs(50));
    assertEquals(2.5, s.maxMs());
    Stats empty = Stats.of(new long[0]);
    assertEquals(-1, empty.percentile(50));
    assertNull(empty.percentileMs(99));
    assertNull(empty.maxMs());
    assertThrows(IllegalArgumentException.class, () -> s.percentile(0));
    assertThrows(IllegalArgumentException.class, () -> s.percentile(100.1));
  }

  @Test
  void samplesFromSeveralThreadsAreAllKept() throws InterruptedException {
    Samples samples = new Samples(40_000);
    Thread[] threads = new Thread[4];
    for (int t = 0; t < threads.length; t++) {
      int base = t * 10_000;
      threads[t] = new Thread(() -> {
        for (int i = 1; i <= 10_000; i++) {
          samples.set(base + i - 1, base + i);
        }
      });
      threads[t].start();
    }
    for (Thread t : threads) {
      t.join();
    }
    Stats s = samples.stats();
    assertEquals(40_000, s.count());
    assertEquals(20_000, s.percentile(50));
    assertEquals(40_000, s.max());
  }

  @Test
  void emptySlotsAreNoSamples() {
    Samples samples = new Samples(3);
    samples.set(0, 5);
    samples.set(2, 0);
    assertEquals(2, samples.count());
    assertEquals(2, samples.stats().count());
    assertEquals(0, samples.stats().percentile(50));
  }

  @Test
  void deliveriesCountEachSeqOncePerConnection() {
    Deliveries d = new Deliveries(2, 3);
    long t = EpochMicros.now() - 1_000;
    d.onMessage(0, "{\"channel\":\"bench.x\",\"id\":\"0\",\"type\":\"bench\",\"ts\":1,\"from\":null,\"data\":{\"seq\":-1,\"bt\":" + t + "}}");
    d.onMessage(0, "{\"data\":{\"seq\":0,\"bt\":" + t + "}}");
    d.onMessage(0, "{\"data\":{\"seq\":0,\"bt\":" + t + "}}");
    d.onMessage(1, "{\"data\":{\"seq\":2,\"bt\":" + t + "}}");
    d.onMessage(1, "{\"data\":{\"seq\":3,\"bt\":" + t + "}}");
    d.onMessage(1, "{\"type\":\"pong\"}");
    assertEquals(2, d.received());
    assertEquals(1, d.duplicates());
    assertEquals(1, d.warmConnections());
    assertEquals(2, d.unrecognised());
    long p50 = d.latency().percentile(50);
    assertTrue(p50 >= 1_000 && p50 < 10_000_000, "latency " + p50);
    assertEquals(2, d.firstDeliveryLatency().count()); // seq 0 and 2: one first delivery each
  }

  @Test
  void fieldReadsSignedIntegers() {
    assertEquals(-1, Deliveries.field("{\"seq\":-1}", "\"seq\":"));
    assertEquals(42, Deliveries.field("{\"a\":1,\"seq\": 42}", "\"seq\":"));
    assertEquals(Deliveries.MISSING, Deliveries.field("{\"seq\":\"x\"}", "\"seq\":"));
    assertEquals(Deliveries.MISSING, Deliveries.field("{}", "\"seq\":"));
  }
}
