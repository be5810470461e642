package io.pulse;

import io.pulse.messages.Addresses;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.hazelcast.core.HazelcastInstance;
import io.pulse.node.PulseNode;
import io.pulse.testing.Await;
import io.pulse.testing.Http;
import io.pulse.testing.SseClient;
import io.pulse.testing.TestNodes;
import io.pulse.testing.WsTestClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * A node running three instances of each transport verticle (three event loops each): accepted
 * connections are dealt out to the instances in turn, so clients opened one after another sit on
 * different event loops, while the node keeps one clustered consumer per address and transport.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class InstancesTest {

  static final Duration WAIT = Duration.ofSeconds(10);
  static final int CLIENTS = 6; // two per instance
  final TestNodes cluster = new TestNodes();
  PulseNode node;
  PulseNode publisher;

  @BeforeAll
  void up() {
    node = cluster.start("inst-a", new JsonObject().put("ws.instances", 3).put("http.instances", 3));
    publisher = cluster.start("inst-b", new JsonObject().put("ws.instances", 1).put("http.instances", 1));
  }

  @AfterAll
  void down() {
    cluster.close();
  }

  @Test
  @DisplayName("every client on every instance gets every message in order, through one consumer per transport")
  void fanOutOverInstances() {
    String channel = "inst.feed";
    List<WsTestClient> ws = new ArrayList<>();
    List<SseClient> sse = new ArrayList<>();
    try {
      for (int i = 0; i < CLIENTS; i++) {
        WsTestClient c = WsTestClient.connect(node.wsPort());
        assertEquals("subscribed", c.request(new JsonObject().put("type", "subscribe").put("channel", channel))
            .getString("type"));
        ws.add(c);
        sse.add(SseClient.open(node.httpPort(), "channel=" + channel));
      }
      // Registrations reach the other node asynchronously: probe from it until every client hears.
      Await.until(() -> {
        Http.publish(publisher.httpPort(), channel, "probe", null);
        return ws.stream().allMatch(c -> c.poll(Duration.ofMillis(300)) != null)
            && sse.stream().allMatch(s -> s.poll(Duration.ofMillis(300)) != null);
      }, Duration.ofSeconds(20), "the channel is live on every client");
      awaitQuiet(ws, sse);

      assertEquals(2, registrations(Addresses.channel(channel)),
          "one clustered consumer for the WebSocket instances and one for the HTTP instances");

      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        ids.add(Http.publish(publisher.httpPort(), channel, "tick", i));
      }
      for (WsTestClient c : ws) {
        List<String> got = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
          JsonObject m = c.next(WAIT);
          assertEquals(i, m.getInteger("data"), "in order: " + m);
          got.add(m.getString("id"));
        }
        assertEquals(ids, got);
      }
      for (SseClient s : sse) {
        assertEquals(ids, s.take(ids.size(), WAIT).stream().map(SseClient.Event::id).toList());
      }
      Await.until(() -> connections("ws") == CLIENTS && connections("sse") == CLIENTS, WAIT,
          "/api/cluster adds up the instances' counts");
    } finally {
      ws.forEach(WsTestClient::close);
      sse.forEach(SseClient::close);
    }
    Await.until(() -> connections("ws") == 0 && connections("sse") == 0, WAIT, "back to zero");
    Await.until(() -> registrations(Addresses.channel(channel)) == 0, WAIT, "the consumers go with the last client");
  }

  @Test
  @DisplayName("one name on two instances is one member with two connections in the node's presence")
  void roomsSharedByInstances() {
    try (WsTestClient ann1 = WsTestClient.connect(node.wsPort()); WsTestClient ann2 = WsTestClient.connect(node.wsPort());
        WsTestClient bob = WsTestClient.connect(node.wsPort())) {
      bob.request(new JsonObject().put("type", "join").put("room", "ir").put("name", "bob"));
      ann1.request(new JsonObject().put("type", "join").put("room", "ir").put("name", "ann"));
      JsonObject second = ann2.request(new JsonObject().put("type", "join").put("room", "ir").put("name", "ann"));
      assertEquals(new JsonArray().add(new JsonObject().put("name", "ann").put("connections", 2))
          .add(new JsonObject().put("name", "bob").put("connections", 1)), second.getJsonArray("members"));

      ann1.close();
      JsonObject leave = bob.nextMatching(m -> "leave".equals(m.getString("type")), WAIT);
      assertEquals("ann", leave.getString("from"));
      Await.until(() -> members().equals(new JsonArray().add(new JsonObject().put("name", "ann").put("connections", 1))
          .add(new JsonObject().put("name", "bob").put("connections", 1))), WAIT, "ann down to one connection");
      ann2.close();
      Await.until(() -> members().equals(new JsonArray().add(new JsonObject().put("name", "bob").put("connections", 1))),
          WAIT, "only bob is left");
    }
  }

  private JsonArray members() {
    return new JsonObject(Http.get(node.httpPort(), "/api/rooms/ir/presence").body()).getJsonArray("members");
  }

  /** Entries of the cluster's subscription map for {@code address} (all nodes). */
  private int registrations(String address) {
    HazelcastInstance hz = TestNodes.hazelcast(node.vertx());
    return hz.getMultiMap("__vertx.subs").valueCount(address);
  }

  private int connections(String transport) {
    JsonObject view = new JsonObject(Http.get(node.httpPort(), "/api/cluster").body());
    return view.getJsonArray("nodes").stream().map(o -> (JsonObject) o)
        .filter(n -> n.getString("id").equals(node.nodeId()))
        .mapToInt(n -> n.getJsonObject("connections").getInteger(transport)).findFirst().orElse(-1);
  }

  private static void awaitQuiet(List<WsTestClient> ws, List<SseClient> sse) {
    ws.forEach(c -> {
      while (c.poll(Duration.ofMillis(200)) != null) {
        // probes still in flight
      }
    });
    sse.forEach(s -> {
      while (s.poll(Duration.ofMillis(200)) != null) {
        // probes still in flight
      }
    });
  }
}
