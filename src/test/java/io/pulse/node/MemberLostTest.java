package io.pulse.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pulse.testing.Await;
import io.pulse.testing.TestNodes;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class MemberLostTest {

  @Test
  void aMemberStoppedUnderTheNodeIsReportedOnceAndACloseIsNot() {
    try (TestNodes nodes = new TestNodes()) {
      PulseNode lost = nodes.start("lost");
      PulseNode closed = nodes.start("closed");
      AtomicInteger lostCalls = new AtomicInteger();
      AtomicInteger closedCalls = new AtomicInteger();
      lost.onMemberLost(lostCalls::incrementAndGet);
      closed.onMemberLost(closedCalls::incrementAndGet);

      nodes.stop(closed);
      TestNodes.hazelcast(lost.vertx()).getLifecycleService().terminate();
      Await.until(() -> lostCalls.get() > 0, Duration.ofSeconds(10), "the lost member is reported");
      assertEquals(1, lostCalls.get(), "once, though Hazelcast reports shutting down and shut down");
      assertEquals(0, closedCalls.get(), "a node's own close is not a loss");
    }
  }
}
