package io.pulse.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.messages.Addresses;
import io.pulse.node.PulseNode;
import io.pulse.testing.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Messages of one channel sent to {@code pulse.publish} one after another get ids in that order,
 * also the first ones of a channel, which arrive while its ring buffer is still being looked up.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(60)
class PublishOrderTest {

  final TestNodes cluster = new TestNodes();
  PulseNode node;

  @BeforeAll
  void up() {
    node = cluster.start("publish-order", new JsonObject());
  }

  @AfterAll
  void down() {
    cluster.close();
  }

  @Test
  @DisplayName("a fresh channel's first 50 messages, sent at once, get ids in the order sent")
  void idsFollowTheOrderSent() {
    for (int round = 0; round < 5; round++) {
      String channel = "order.fresh" + round;
      Promise<List<Long>> ids = Promise.promise();
      // Sent from one event loop, as a transport does: they reach the publish verticle in this order.
      node.vertx().runOnContext(v -> {
        List<Future<Long>> replies = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
          replies.add(node.vertx().eventBus().<JsonObject>request(Addresses.PUBLISH,
              new JsonObject().put("channel", channel).put("data", i), Addresses.LOCAL)
              .map(m -> Long.parseLong(m.body().getString("id"))));
        }
        Future.all(replies).map(all -> replies.stream().map(Future::result).toList()).onComplete(ids);
      });
      List<Long> got = TestNodes.await(ids.future());
      for (int i = 1; i < got.size(); i++) {
        assertTrue(got.get(i) > got.get(i - 1), "round " + round + ": ids in the order sent: " + got);
      }
      assertEquals(got.get(0) + 49, got.get(49), "no gaps: " + got);
    }
  }
}
