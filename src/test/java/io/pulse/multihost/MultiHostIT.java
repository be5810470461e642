package io.pulse.multihost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.testing.ClusterViews;
import io.pulse.testing.Http;
import io.pulse.testing.HttpPublisher;
import io.pulse.testing.SseClient;
import io.pulse.testing.WsTestClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Three Pulse nodes on three simulated hosts, 2 ms ± 0.5 ms one way on every link, their
 * clients on a fourth host (docs: testing.md, failure-behaviour.md, partitions.md, "Several
 * hosts"). One cluster for the whole class, the tests in order: delivery, presence and the
 * cluster view, a lossy link, a cut and its heal, a kill -9. Each prints what it measured
 * ({@code multi-host: …} lines). {@code -Dnetns.delayMs=0 -Dnetns.jitterMs=0} runs
 * the same on links without delay, for comparison.
 */
@Tag("slow")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MultiHostIT {

  static final Map<String, String> HOSTS = new LinkedHashMap<>();

  static {
    HOSTS.put("a", "198.18.0.1");
    HOSTS.put("b", "198.18.0.2");
    HOSTS.put("c", "198.18.0.3");
    HOSTS.put("client", "198.18.0.100");
  }

  static final double DELAY = Double.parseDouble(System.getProperty("netns.delayMs", "2"));
  static final double JITTER = Double.parseDouble(System.getProperty("netns.jitterMs", "0.5"));
  static final TestNetwork.Link LINK = new TestNetwork.Link(DELAY, JITTER, 0);
  static final TestNetwork.Link LOSSY = new TestNetwork.Link(DELAY, JITTER, 0.01);

  final String cluster = "mh-" + UUID.randomUUID();
  final List<String> measured = new ArrayList<>();
  /** Every id seen on the partition test's channel, with its message: an id never names two. */
  final Map<String, String> named = new HashMap<>();
  TestNetwork net;
  HostNode a;
  HostNode b;
  HostNode c;
  HostNode[] nodes = new HostNode[0];

  @BeforeAll
  @Timeout(180)
  void startCluster() throws Exception {
    TestNetwork.assumeAvailable();
    net = TestNetwork.start(HOSTS, LINK);
    List<String> targets = new ArrayList<>();
    for (String h : List.of("a", "b", "c")) {
      targets.add(net.address(h) + ":8080");
      targets.add(net.address(h) + ":8081");
    }
    int[] relay = net.relay("client", targets);
    // host:port, as deploying.md says for several machines: a member listed without its port is
    // tried on hazelcast.tcp.join.port.try.count ports (10), which slows the heal of a split.
    String members = String.join(",", net.address("a") + ":5701", net.address("b") + ":5701", net.address("c") + ":5701");
    Map<String, String> props = Map.of("cluster.name", cluster, "cluster.quorum", "2",
        "sensors.count", "1", "sensors.intervalMs", "200");
    long t0 = System.currentTimeMillis();
    nodes = new HostNode[3];
    String[] hs = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
      nodes[i] = HostNode.launch(net, hs[i], "node-" + hs[i], members, Map.of(), props, relay[2 * i], relay[2 * i + 1]);
    }
    a = nodes[0];
    b = nodes[1];
    c = nodes[2];
    for (HostNode n : nodes) {
      n.awaitReady(Duration.ofSeconds(120));
    }
    awaitWithin(() -> allSee(3), t0, 120_000, "every node sees three nodes");
    note("cluster of 3 formed %d ms after the JVMs were started (in parallel)", System.currentTimeMillis() - t0);
  }

  @AfterAll
  void stopCluster() throws Exception {
    for (HostNode n : nodes) {
      if (n != null) {
        n.close();
      }
    }
    if (net != null) {
      net.close();
    }
    System.out.printf("multi-host (links %.1f ms ± %.1f ms one way):%n", DELAY, JITTER);
    measured.forEach(m -> System.out.println("multi-host: " + m));
  }

  @Test
  @Order(1)
  @Timeout(90)
  @DisplayName("cross-host delivery: published on A, SSE and WebSocket subscribers on B and C get every message, in order, once")
  void deliveryAcrossHosts() throws Exception {
    String ch = "mh.d";
    try (SseClient sseB = SseClient.open(b.httpPort, "channel=" + ch);
        SseClient sseC = SseClient.open(c.httpPort, "channel=" + ch);
        WsTestClient wsB = subscribed(b, ch);
        WsTestClient wsC = subscribed(c, ch)) {
      awaitLive(a, ch, List.of(sseB, sseC), List.of(wsB, wsC));
      long t0 = System.currentTimeMillis();
      List<String> acked = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        acked.add(Http.publish(a.httpPort, ch, "m", i));
      }
      long published = System.currentTimeMillis() - t0;
      for (SseClient s : List.of(sseB, sseC)) {
        assertEquals(acked, ids(takeType(s, "m", acked.size())), "an SSE stream on another host");
      }
      for (WsTestClient w : List.of(wsB, wsC)) {
        assertEquals(acked, wsIds(w, ch, "m", acked.size()), "a WebSocket on another host");
      }
      long delivered = System.currentTimeMillis() - t0;
      for (SseClient s : List.of(sseB, sseC)) {
        assertEquals(List.of(), ids(typed(s.drain(), "m")), "nothing twice");
      }
      note("delivery: 200 publishes on A took %d ms (one at a time, %.1f ms each); all on B and C after %d ms",
          published, published / 200.0, delivered);
    }
  }

  @Test
  @Order(2)
  @Timeout(60)
  @DisplayName("presence and /api/cluster agree on every node within 2 s of a change")
  void presenceAndClusterView() throws Exception {
    awaitWithin(() -> connectionsEverywhere(new int[] {0, 0, 0}), System.currentTimeMillis(), 10_000,
        "no connection left from the previous test");
    try (WsTestClient ann = WsTestClient.connect(a.wsPort);
        WsTestClient bob = WsTestClient.connect(b.wsPort);
        WsTestClient cy = WsTestClient.connect(c.wsPort)) {
      join(ann, "mh", "ann");
      join(bob, "mh", "bob");
      join(cy, "mh", "cy");
      long presence;
      long view;
      try (Watch w = new Watch(System.currentTimeMillis(), Map.of(
          "presence on every node", () -> presenceEverywhere("mh", Set.of("ann", "bob", "cy")),
          "/api/cluster on every node", () -> connectionsEverywhere(new int[] {1, 1, 1})))) {
        presence = w.await("presence on every node", 2_000);
        view = w.await("/api/cluster on every node", 2_000);
      }
      long presenceLeft;
      long viewLeft;
      bob.close();
      try (Watch w = new Watch(System.currentTimeMillis(), Map.of(
          "bob gone from presence everywhere", () -> presenceEverywhere("mh", Set.of("ann", "cy")),
          "bob's connection gone everywhere", () -> connectionsEverywhere(new int[] {1, 0, 1})))) {
        presenceLeft = w.await("bob gone from presence everywhere", 2_000);
        viewLeft = w.await("bob's connection gone everywhere", 2_000);
      }
      note("convergence: presence %d ms and /api/cluster %d ms after three joins; %d ms and %d ms after a close",
          presence, view, presenceLeft, viewLeft);
    }
  }

  @Test
  @Order(3)
  @Timeout(120)
  @DisplayName("1% loss on the link A–B: every message reaches B and C in order once, an SSE client that moves"
      + " from B to C with Last-Event-ID misses nothing and gets nothing twice, presence and the view still converge")
  void lossyLink() throws Exception {
    String ch = "mh.l";
    net.link("a", "b", LOSSY);
    JsonObject before = net.stats();
    try {
      List<SseClient.Event> seenOnB;
      List<SseClient.Event> seenOnC;
      HttpPublisher pub;
      long t0;
      try (SseClient sseB = SseClient.open(b.httpPort, "channel=" + ch);
          WsTestClient wsB = subscribed(b, ch);
          WsTestClient wsC = subscribed(c, ch)) {
        awaitLive(a, ch, List.of(sseB), List.of(wsB, wsC));
        t0 = System.currentTimeMillis();
        pub = new HttpPublisher(a.httpPort, ch, "m", 1000 / 20);
        try (pub) {
          awaitWithin(() -> pub.acked.size() >= 100, t0, 30_000, "100 messages published");
          sseB.close();
          seenOnB = typed(sseB.drain(), "m");
          String last = seenOnB.get(seenOnB.size() - 1).id();
          try (SseClient sseC = SseClient.open(c.httpPort, "channel=" + ch, last)) {
            awaitWithin(() -> pub.acked.size() >= 200, t0, 30_000, "200 messages published");
            pub.close();
            seenOnC = takeType(sseC, "m", pub.acked.size() - pub.acked.indexOf(last) - 1);
            assertEquals(List.of(), typed(sseC.drain(), "m"), "nothing twice after the resume");
          }
        }
        List<String> together = new ArrayList<>(ids(seenOnB));
        together.addAll(ids(seenOnC));
        assertEquals(pub.acked, together, "B's stream, then C's resumed with B's last id: everything, once");
        for (WsTestClient w : List.of(wsB, wsC)) {
          assertEquals(pub.acked, wsIds(w, ch, "m", pub.acked.size()), "a WebSocket subscriber under loss");
        }
      }
      long elapsed = System.currentTimeMillis() - t0;

      try (WsTestClient dee = WsTestClient.connect(a.wsPort); WsTestClient eve = WsTestClient.connect(b.wsPort)) {
        join(dee, "ml", "dee");
        join(eve, "ml", "eve");
        try (Watch w = new Watch(System.currentTimeMillis(), Map.of(
            "presence under loss", () -> presenceEverywhere("ml", Set.of("dee", "eve")),
            "/api/cluster under loss", () -> connectionsEverywhere(new int[] {1, 1, 0})))) {
          long presence = w.await("presence under loss", 2_000);
          long view = w.await("/api/cluster under loss", 2_000);
          note("1%% loss A–B: %d messages at 20/s in %d ms, none lost or repeated; presence %d ms, view %d ms",
              pub.acked.size(), elapsed, presence, view);
        }
      }
    } finally {
      net.link("a", "b", LINK);
    }
    JsonObject after = net.stats();
    long lost = lost(after, "a>b") - lost(before, "a>b") + lost(after, "b>a") - lost(before, "b>a");
    long sent = forwarded(after, "a>b") - forwarded(before, "a>b") + forwarded(after, "b>a") - forwarded(before, "b>a");
    note("1%% loss A–B: the switch dropped %d of %d frames between A and B", lost, lost + sent);
    assertTrue(lost > 0, "the link lost frames: " + after);
  }

  @Test
  @Order(4)
  @Timeout(180)
  @DisplayName("cut {A} | {B, C}, then heal: each side delivers its own, ids never repeat, resumes get the gap or a reset,"
      + " presence and the view converge, messages cross the healed cut once")
  void cutAndHeal() throws Exception {
    String ch = "mh.p";
    try (SseClient onA = SseClient.open(a.httpPort, "channel=" + ch);
        SseClient onB = SseClient.open(b.httpPort, "channel=" + ch);
        WsTestClient amy = WsTestClient.connect(a.wsPort);
        WsTestClient bo = WsTestClient.connect(b.wsPort)) {
      awaitLive(b, ch, List.of(onA, onB), List.of());
      join(amy, "mp", "amy");
      join(bo, "mp", "bo");
      awaitWithin(() -> presenceEverywhere("mp", Set.of("amy", "bo")), System.currentTimeMillis(), 2_000, "presence");
      List<String> before = List.of(publish(b, ch, "before-0"), publish(b, ch, "before-1"));
      assertEquals(before, ids(takeType(onA, "t", 2)));
      assertEquals(before, ids(takeType(onB, "t", 2)));
      String lastBeforeSplit = before.get(1);
      String lastOnA;

      long cut = System.currentTimeMillis();
      net.cut("a", "b");
      net.cut("a", "c");
      try {
        awaitWithin(() -> nodes(a) == 1 && nodes(b) == 2 && nodes(c) == 2, cut, 30_000, "each side sees only itself");
        note("cut: each side saw only itself after %d ms", System.currentTimeMillis() - cut);
        awaitWithin(() -> presence(a, "mp").equals(Set.of("amy")) && presence(b, "mp").equals(Set.of("bo")),
            cut, 30_000, () -> "each side's presence shows its own members: " + presenceViews("mp"));
        note("cut: each side's presence showed its own members only after %d ms", System.currentTimeMillis() - cut);
        List<String> onSideA = List.of(publish(a, ch, "a-0"), publish(a, ch, "a-1"));
        List<String> onSideB = List.of(publish(b, ch, "b-0"), publish(c, ch, "b-1"));
        assertEquals(onSideA, ids(takeType(onA, "t", 2)), "the small side delivers its own");
        assertEquals(onSideB, ids(takeType(onB, "t", 2)), "the large side delivers its own");
        for (String id : onSideA) {
          assertFalse(onSideB.contains(id), "the two sides gave the same id " + id);
        }
        lastOnA = onSideA.get(1);
        try (SseClient resumedOnA = SseClient.open(a.httpPort, "channel=" + ch, lastBeforeSplit)) {
          assertEquals("reset", resumedOnA.next(Duration.ofSeconds(10)).json().getString("type"),
              "no history on the small side: a reset");
        }
      } finally {
        net.heal("a", "b");
        net.heal("a", "c");
      }
      long healed = System.currentTimeMillis();
      Watch heal = new Watch(healed, Map.of("one cluster again", () -> allSee(3),
          "the same /api/cluster on every node", this::sameView));
      note("heal: every node saw three nodes %d ms after the links came back", heal.await("one cluster again", 60_000));
      awaitWithin(onA::ended, healed, 60_000, "the merged node ends its SSE streams");
      assertEquals((short) 1012, amy.awaitClose(Duration.ofSeconds(15)), "the merged node's WebSockets get 1012");
      assertFalse(onB.ended(), "the large side's streams go on");

      try (SseClient backOnA = SseClient.open(a.httpPort, "channel=" + ch, lastOnA);
          SseClient fromBeforeOnC = SseClient.open(c.httpPort, "channel=" + ch, lastBeforeSplit);
          WsTestClient amy2 = WsTestClient.connect(a.wsPort)) {
        assertEquals("reset", backOnA.next(Duration.ofSeconds(10)).json().getString("type"), "a detached id: reset");
        assertEquals(List.of("b-0", "b-1"), texts(takeType(fromBeforeOnC, "t", 2)), "from before the split: the gap");
        join(amy2, "mp", "amy");
        long rejoined = System.currentTimeMillis();
        awaitWithin(() -> presenceEverywhere("mp", Set.of("amy", "bo")), rejoined, 2_000, "presence after the heal");
        note("heal: /api/cluster identical on every node %d ms after the links came back",
            heal.await("the same /api/cluster on every node", 60_000));
        heal.close();
        backOnA.awaitLive(b.httpPort, ch);
        fromBeforeOnC.drain();
        onB.drain();
        List<String> after = List.of(publish(b, ch, "after-0"), publish(a, ch, "after-1"));
        for (SseClient s : List.of(backOnA, onB, fromBeforeOnC)) {
          assertEquals(after, ids(takeType(s, "t", 2)), "across the healed cut, both ways");
          assertEquals(List.of(), ids(typed(s.drain(), "t")), "once");
        }
      }
    }
  }

  @Test
  @Order(5)
  @Timeout(120)
  @DisplayName("kill -9 of the simulator's node: its SSE client resumes on another host with Last-Event-ID and misses"
      + " nothing; the node leaves /api/cluster and presence, and the simulator moves, within 15 s")
  void killNine() throws Exception {
    HostNode victim;
    try (SseClient sensors = SseClient.open(b.httpPort, "channel=sensors.*")) {
      String runner = sensors.next(Duration.ofSeconds(10)).json().getJsonObject("data").getString("node");
      victim = List.of(nodes).stream().filter(n -> n.name.equals(runner)).findFirst().orElseThrow();
    }
    List<HostNode> alive = List.of(nodes).stream().filter(n -> n != victim).toList();
    HostNode s1 = alive.get(0);
    HostNode s2 = alive.get(1);
    String ch = "mh.k";
    try (SseClient onVictim = SseClient.open(victim.httpPort, "channel=" + ch);
        SseClient sensors = SseClient.open(s2.httpPort, "channel=sensors.*");
        WsTestClient kim = WsTestClient.connect(victim.wsPort);
        WsTestClient sam = WsTestClient.connect(s1.wsPort)) {
      join(kim, "mk", "kim");
      join(sam, "mk", "sam");
      awaitLive(s1, ch, List.of(onVictim), List.of());
      List<SseClient.Event> gotOnVictim = new ArrayList<>();
      long killed;
      Watch gone;
      try (HttpPublisher pub = new HttpPublisher(s1.httpPort, ch, "m", 1000 / 20)) {
        awaitWithin(() -> {
          gotOnVictim.addAll(typed(onVictim.drain(), "m"));
          return gotOnVictim.size() >= 10;
        }, System.currentTimeMillis(), 10_000, "the victim's client receives");
        victim.kill9();
        killed = System.currentTimeMillis();
        gone = new Watch(killed, Map.of(
            "gone from /api/cluster", () -> nodes(s1) == 2 && nodes(s2) == 2,
            "gone from presence", () -> presence(s1, "mk").equals(Set.of("sam")) && presence(s2, "mk").equals(Set.of("sam"))));
        gotOnVictim.addAll(typed(onVictim.drain(), "m"));
        int ackedAtKill = pub.acked.size();
        awaitWithin(() -> pub.acked.size() >= ackedAtKill + 40, killed, 30_000, "publishing goes on on a survivor");
        pub.close();
        String lastSeen = gotOnVictim.get(gotOnVictim.size() - 1).id();
        List<String> missed = pub.acked.subList(pub.acked.indexOf(lastSeen) + 1, pub.acked.size());
        try (SseClient resumed = SseClient.open(s2.httpPort, "channel=" + ch, lastSeen)) {
          assertEquals(missed, ids(takeType(resumed, "m", missed.size())), "everything after " + lastSeen + ", in order");
          assertEquals(List.of(), typed(resumed.drain(), "m"), "nothing twice");
        }
        note("kill -9: the client resumed on %s with %d missed messages", s2.name, missed.size());
      }
      long fromView = gone.await("gone from /api/cluster", 15_000);
      long fromPresence = gone.await("gone from presence", 15_000);
      gone.close();
      JsonObject leave = sam.nextMatching(m -> "leave".equals(m.getString("type")) && "kim".equals(m.getString("from")),
          Duration.ofSeconds(15));
      assertEquals("node_left", leave.getJsonObject("data").getString("reason"));
      // The first reading from another node, timed when it arrived (it may have waited in the queue).
      SseClient.Event reading;
      do {
        reading = sensors.next(Duration.ofSeconds(15));
      } while (reading.json().getJsonObject("data").getString("node").equals(victim.name));
      long moved = reading.received() - killed;
      assertTrue(moved < 15_000, "the simulator moved within 15 s: " + moved);
      note("kill -9 of %s (simulator): gone from /api/cluster after %d ms, from presence after %d ms;"
          + " simulator's first reading from %s after %d ms", victim.name, fromView, fromPresence,
          reading.json().getJsonObject("data").getString("node"), moved);
    }
  }

  // --- clients and what they see ---

  static WsTestClient subscribed(HostNode n, String ch) {
    WsTestClient w = WsTestClient.connect(n.wsPort);
    JsonObject r = w.request(new JsonObject().put("type", "subscribe").put("channel", ch));
    assertEquals("subscribed", r.getString("type"), r.encode());
    return w;
  }

  static void join(WsTestClient w, String room, String name) {
    JsonObject r = w.request(new JsonObject().put("type", "join").put("room", room).put("name", name));
    assertEquals("joined", r.getString("type"), r.encode());
  }

  /**
   * Publishes probes on {@code publisher} until every stream and socket got one (event-bus
   * registrations reach the other nodes asynchronously), then drops what arrived.
   */
  static void awaitLive(HostNode publisher, String ch, List<SseClient> streams, List<WsTestClient> sockets)
      throws InterruptedException {
    Set<Object> live = new HashSet<>();
    long t0 = System.currentTimeMillis();
    while (live.size() < streams.size() + sockets.size()) {
      if (System.currentTimeMillis() - t0 > 20_000) {
        throw new AssertionError("channel " + ch + " not live everywhere within 20 s");
      }
      Http.publish(publisher.httpPort, ch, "probe", null);
      for (SseClient s : streams) {
        if (s.poll(Duration.ofMillis(100)) != null) {
          live.add(s);
        }
      }
      for (WsTestClient w : sockets) {
        JsonObject m;
        while ((m = w.poll(Duration.ofMillis(100))) != null) {
          if ("probe".equals(m.getString("type"))) {
            live.add(w);
          }
        }
      }
    }
    for (SseClient s : streams) {
      while (s.poll(Duration.ofMillis(300)) != null) {
        // probes still in flight
      }
    }
    for (WsTestClient w : sockets) {
      while (w.poll(Duration.ofMillis(300)) != null) {
        // probes still in flight
      }
    }
  }

  /** The next {@code n} events of type {@code type} (others skipped), within 30 s. */
  static List<SseClient.Event> takeType(SseClient s, String type, int n) {
    List<SseClient.Event> out = new ArrayList<>();
    long deadline = System.currentTimeMillis() + 30_000;
    while (out.size() < n) {
      SseClient.Event e = s.poll(Duration.ofMillis(Math.max(1, deadline - System.currentTimeMillis())));
      if (e == null) {
        throw new AssertionError("got " + out.size() + " of " + n + " '" + type + "' events within 30 s");
      }
      if (type.equals(e.json().getString("type"))) {
        out.add(e);
      }
    }
    return out;
  }

  static List<SseClient.Event> typed(List<SseClient.Event> events, String type) {
    return events.stream().filter(e -> type.equals(e.json().getString("type"))).toList();
  }

  /** The ids of the next {@code n} envelopes of {@code type} on {@code ch}, within 30 s. */
  static List<String> wsIds(WsTestClient w, String ch, String type, int n) {
    List<String> out = new ArrayList<>();
    long deadline = System.currentTimeMillis() + 30_000;
    while (out.size() < n) {
      JsonObject m = w.poll(Duration.ofMillis(Math.max(1, deadline - System.currentTimeMillis())));
      if (m == null) {
        throw new AssertionError("got " + out.size() + " of " + n + " WebSocket envelopes within 30 s");
      }
      if (ch.equals(m.getString("channel")) && type.equals(m.getString("type"))) {
        out.add(m.getString("id"));
      }
    }
    JsonObject extra;
    while ((extra = w.poll(Duration.ofMillis(300))) != null) {
      assertFalse(type.equals(extra.getString("type")), "nothing more, nothing twice: " + extra);
    }
    return out;
  }

  static List<String> ids(List<SseClient.Event> events) {
    return events.stream().map(SseClient.Event::id).toList();
  }

  static List<String> texts(List<SseClient.Event> events) {
    return events.stream().map(e -> e.json().getJsonObject("data").getString("text")).toList();
  }

  String publish(HostNode n, String ch, String text) {
    String id = Http.publish(n.httpPort, ch, "t", new JsonObject().put("text", text));
    String was = named.put(id, text);
    assertTrue(was == null || was.equals(text), "id " + id + " named '" + was + "' and now '" + text + "'");
    return id;
  }

  // --- the cluster's views ---

  static int nodes(HostNode n) {
    try {
      return new JsonObject(Http.get(n.httpPort, "/api/cluster").body()).getJsonObject("totals").getInteger("nodes");
    } catch (AssertionError | RuntimeException e) {
      return -1;
    }
  }

  boolean allSee(int count) {
    for (HostNode n : nodes) {
      if (nodes(n) != count) {
        return false;
      }
    }
    return true;
  }

  /** Every node's /api/cluster lists the three nodes with {@code ws[i]} WebSocket connections on node i, no SSE. */
  boolean connectionsEverywhere(int[] ws) {
    for (HostNode viewer : nodes) {
      JsonObject view = new JsonObject(Http.get(viewer.httpPort, "/api/cluster").body());
      Map<String, Integer> byName = new HashMap<>();
      for (Object o : view.getJsonArray("nodes")) {
        JsonObject node = (JsonObject) o;
        JsonObject conns = node.getJsonObject("connections");
        if (conns.getInteger("sse") != 0) {
          return false;
        }
        byName.put(node.getString("name"), conns.getInteger("ws"));
      }
      for (int i = 0; i < nodes.length; i++) {
        if (!Integer.valueOf(ws[i]).equals(byName.get(nodes[i].name))) {
          return false;
        }
      }
      int total = java.util.Arrays.stream(ws).sum();
      if (view.getJsonObject("totals").getJsonObject("connections").getInteger("ws") != total) {
        return false;
      }
    }
    return true;
  }

  boolean sameView() {
    return ClusterViews.same(3, java.util.Arrays.stream(nodes).mapToInt(n -> n.httpPort).toArray());
  }

  static Set<String> presence(HostNode n, String room) {
    JsonArray members = new JsonObject(Http.get(n.httpPort, "/api/rooms/" + room + "/presence").body())
        .getJsonArray("members");
    Set<String> names = new HashSet<>();
    members.forEach(o -> names.add(((JsonObject) o).getString("name")));
    return names;
  }

  boolean presenceEverywhere(String room, Set<String> names) {
    for (HostNode n : nodes) {
      if (!presence(n, room).equals(names)) {
        return false;
      }
    }
    return true;
  }

  static long lost(JsonObject stats, String link) {
    return stats.getJsonObject(link).getLong("lost");
  }

  static long forwarded(JsonObject stats, String link) {
    return stats.getJsonObject(link).getLong("forwarded");
  }

  void note(String format, Object... args) {
    String line = String.format(format, args);
    measured.add(line);
    System.out.println("multi-host: " + line);
  }

  /**
   * Polls conditions together in the background from the moment it is made (for at most 120 s),
   * and records for each when it first held (ms after {@code since}): measurements that do not
   * wait for each other.
   */
  static final class Watch implements AutoCloseable {
    final long since;
    final Map<String, Long> at = new java.util.concurrent.ConcurrentHashMap<>();
    final Thread thread;
    volatile boolean running = true;

    Watch(long since, Map<String, BooleanSupplier> conditions) {
      this.since = since;
      thread = new Thread(() -> {
        while (running && at.size() < conditions.size() && System.currentTimeMillis() - since < 120_000) {
          conditions.forEach((name, cond) -> {
            if (!at.containsKey(name)) {
              boolean holds;
              try {
                holds = cond.getAsBoolean();
              } catch (AssertionError | RuntimeException notYet) {
                holds = false;
              }
              if (holds) {
                at.put(name, System.currentTimeMillis() - since);
              }
            }
          });
          try {
            Thread.sleep(20);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "watch");
      thread.setDaemon(true);
      thread.start();
    }

    /** When {@code name} first held, waiting up to {@code ms} after {@code since}. */
    long await(String name, long ms) throws InterruptedException {
      while (!at.containsKey(name)) {
        if (System.currentTimeMillis() - since > ms) {
          throw new AssertionError("not within " + ms + " ms: " + name + " (held so far: " + at + ")");
        }
        Thread.sleep(20);
      }
      return at.get(name);
    }

    @Override
    public void close() throws InterruptedException {
      running = false;
      thread.join(5_000);
    }
  }

  static void awaitWithin(BooleanSupplier cond, long since, long ms, String what) throws InterruptedException {
    awaitWithin(cond, since, ms, () -> what);
  }

  /** Polls {@code cond} every 20 ms; fails with {@code what} (read at the deadline) after {@code ms} from {@code since}. */
  static void awaitWithin(BooleanSupplier cond, long since, long ms, java.util.function.Supplier<String> what)
      throws InterruptedException {
    while (!cond.getAsBoolean()) {
      if (System.currentTimeMillis() - since > ms) {
        throw new AssertionError("not within " + ms + " ms: " + what.get());
      }
      Thread.sleep(20);
    }
  }

  /** Each node's view of a room's members, for failure messages. */
  String presenceViews(String room) {
    Map<String, Object> views = new LinkedHashMap<>();
    for (HostNode n : nodes) {
      try {
        views.put(n.name, presence(n, room));
      } catch (AssertionError | RuntimeException e) {
        views.put(n.name, e.getMessage());
      }
    }
    return room + " " + views;
  }
}
