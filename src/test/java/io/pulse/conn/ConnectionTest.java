package io.pulse.conn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pulse.messages.Addresses;
import io.pulse.auth.Auth;
import io.pulse.auth.Identity;
import io.pulse.auth.Revocations;
import io.pulse.config.PulseConfig;
import io.pulse.history.History.Replay;
import io.pulse.messages.Delivery;
import io.pulse.hub.Hub;
import io.pulse.hub.Session;
import io.pulse.hub.SlowPolicy;
import io.pulse.metrics.PulseMetrics;
import io.pulse.testing.Await;
import io.pulse.testing.FakeBus;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The connection core without sockets or a cluster: a plain Vert.x instance, a hub on a fake bus,
 * a fake history, real JWT checks. Every step runs on one event-loop context, as on a node.
 */
class ConnectionTest {

  static final String SECRET = "connection-test-secret-0123456789";

  Vertx vertx;
  Context ctx;
  PulseMetrics metrics;
  Connections connections;
  JWTAuth signer;
  final FakeBus bus = new FakeBus();
  final Map<String, Replay> history = new HashMap<>();

  /** A socket that records what it is given, and is full when told. */
  static final class Socket extends Session implements Transport {
    final List<String> written = new CopyOnWriteArrayList<>();
    final List<Disconnect> closes = new CopyOnWriteArrayList<>();
    final Listener listener;
    boolean full;

    Socket(PulseConfig cfg, Listener listener) {
      super(cfg.sendQueueBytes(), cfg.slowPolicies().defaultPolicy());
      this.listener = listener;
    }

    @Override
    protected void write(Delivery d) {
      written.add(d.envelope());
    }

    @Override
    protected boolean transportFull() {
      return full;
    }

    @Override
    protected Listener listener() {
      return listener;
    }

    @Override
    public void close(Disconnect why) {
      closes.add(why);
    }
  }

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    ctx = vertx.getOrCreateContext();
    PulseConfig cfg = PulseConfig.of(new JsonObject().put("auth.mode", "jwt").put("auth.jwt.key", SECRET)
        .put("auth.publicChannels", new JsonArray().add("sensors.*"))
        .put("limits.inboundPerSecond", 1).put("limits.inboundBurst", 3)
        .put("limits.maxSubscriptionsPerConnection", 2)
        .put("limits.slowConsumer", "drop").put("limits.slowConsumerChannels", new JsonObject().put("alerts.*", new JsonObject().put("default", "disconnect"))));
    metrics = new PulseMetrics(new SimpleMeterRegistry());
    Auth auth = Auth.create(vertx, cfg, null, Revocations.local());
    Hub hub = new Hub(bus, d -> { }, null);
    Connections.Replays replays = wanted -> {
      Map<String, Replay> out = new HashMap<>();
      wanted.keySet().forEach(channel -> out.put(channel, history.getOrDefault(channel, new Replay(List.of(), false, 9))));
      return Future.succeededFuture(out);
    };
    connections = on(() -> new Connections(vertx, cfg, auth, hub, replays, metrics, PulseMetrics.WS).listen());
    signer = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256")
        .setBuffer(SECRET)));
  }

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** Runs {@code step} on the connections' context and returns what it returns. */
  <T> T on(Supplier<T> step) {
    CompletableFuture<T> done = new CompletableFuture<>();
    ctx.runOnContext(v -> {
      try {
        done.complete(step.get());
      } catch (Throwable t) {
        done.completeExceptionally(t);
      }
    });
    return done.orTimeout(10, TimeUnit.SECONDS).join();
  }

  /** The value of a future completed on the context. */
  <T> T await(Supplier<Future<T>> step) {
    CompletableFuture<T> done = new CompletableFuture<>();
    ctx.runOnContext(v -> step.get().onComplete(ar -> {
      if (ar.succeeded()) {
        done.complete(ar.result());
      } else {
        done.completeExceptionally(ar.cause());
      }
    }));
    try {
      return done.orTimeout(10, TimeUnit.SECONDS).join();
    } catch (java.util.concurrent.CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  Refusal refusal(Supplier<Future<?>> step) {
    try {
      await(step::get);
    } catch (Refusal r) {
      return r;
    }
    throw new AssertionError("not refused");
  }

  String token(String sub, JsonArray channels, JsonArray publish, int seconds) {
    return signer.generateToken(new JsonObject().put("sub", sub).put("channels", channels).put("publish", publish),
        new JWTOptions().setExpiresInSeconds(seconds));
  }

  Identity identity(String token) {
    return await(() -> connections.authenticate(token));
  }

  Socket socket() {
    return new Socket(connections.config(), connections.sessionListener());
  }

  Connection open(Identity id, Socket s) {
    return on(() -> connections.open(id, s, s));
  }

  void publishLive(String channel, long seq) {
    on(() -> {
      Delivery d = new Delivery(channel, seq, 0, "{\"id\":\"" + seq + "\"}");
      bus.publish(d);
      return null;
    });
  }

  double refused(String reason) {
    return metrics.count("pulse.refused", "reason", reason);
  }

  @Test
  @DisplayName("inbound messages over the burst are refused, told now and then, and 50 in a row close with 1008")
  void rateLimit() {
    Socket s = socket();
    Connection c = open(Identity.ANONYMOUS, s);
    List<Refusal> answers = on(() -> {
      List<Refusal> out = new ArrayList<>();
      for (int i = 0; i < 3 + Connection.ABUSE_LIMIT; i++) {
        out.add(c.inbound());
      }
      return out;
    });
    assertNull(answers.get(0));
    assertNull(answers.get(2));
    Refusal first = answers.get(3);
    assertEquals("rate_limited", first.code);
    assertTrue(first.tell, "the first refusal is told");
    assertFalse(answers.get(4).tell, "the second is not");
    assertTrue(answers.get(12).tell, "every tenth is");
    assertEquals(List.of(Disconnect.ABUSE), s.closes);
    assertFalse(c.isOpen());
    assertEquals(0, on(connections::count));
    assertEquals(Connection.ABUSE_LIMIT, refused("rate_limited"));
    assertEquals(1, metrics.count("pulse.disconnects", "transport", "ws", "reason", "policy"));
  }

  @Test
  @DisplayName("a subscription is refused for a bad name, a missing token, a missing right, the limit, a bad policy; nothing is held after")
  void subscriptionRefusals() {
    Connection anon = open(Identity.ANONYMOUS, socket());
    assertEquals(400, refusal(() -> anon.subscribe("a..b", null, null, false, x -> Future.succeededFuture())).status);
    assertEquals(401, refusal(() -> anon.subscribe("chat.lobby", null, null, false, x -> Future.succeededFuture())).status);
    Connection ann = open(identity(token("ann", new JsonArray().add("orders.*"), new JsonArray(), 60)), socket());
    Refusal forbidden = refusal(() -> ann.subscribe("chat.lobby", null, null, false, x -> Future.succeededFuture()));
    assertEquals("forbidden", forbidden.code);
    Refusal policy = refusal(() -> ann.subscribe("orders.1", null, "sometimes", false, x -> Future.succeededFuture()));
    assertEquals("bad_request", policy.code);
    await(() -> ann.subscribe("orders.1", null, null, false, x -> Future.succeededFuture()));
    await(() -> ann.subscribe("sensors.*", null, null, false, x -> Future.succeededFuture()));
    Refusal max = refusal(() -> ann.subscribe("orders.2", null, null, false, x -> Future.succeededFuture()));
    assertTrue(max.getMessage().contains("limits.maxSubscriptionsPerConnection"), max.getMessage());
    assertEquals(List.of("orders.1", "sensors.*"), List.copyOf(ann.subscriptions()));
    assertFalse(bus.live.containsKey(Addresses.channel("orders.2")));
    assertFalse(bus.live.containsKey(Addresses.channel("chat.lobby")));
    assertEquals(2, refused("bad_request"));
    assertEquals(1, refused("unauthorized"));
    assertEquals(1, refused("forbidden"));
    assertEquals(1, refused("max_subscriptions"));
    assertEquals(2, metrics.subscriptions(PulseMetrics.WS).get());
    on(() -> {
      ann.close(Disconnect.SHUTDOWN);
      return null;
    });
    assertEquals(0, metrics.subscriptions(PulseMetrics.WS).get());
    assertTrue(bus.live.isEmpty(), "the hub let go of the connection's registrations: " + bus.live.keySet());
  }

  @Test
  @DisplayName("a resumed subscription answers first, then replays, then writes live messages once each")
  void resume() {
    history.put("sensors.s1", new Replay(List.of(new Delivery("sensors.s1", 5, 0, "{\"id\":\"5\"}"),
        new Delivery("sensors.s1", 6, 0, "{\"id\":\"6\"}")), true, 6));
    Socket s = socket();
    Connection c = open(Identity.ANONYMOUS, s);
    List<String> order = new CopyOnWriteArrayList<>();
    Connection.Subscribed done = await(() -> c.subscribe("sensors.s1", "0000000000000004", "conflate", false, sub -> {
      order.add("answer recovered=" + sub.recovered() + " policy=" + sub.policy().wire() + " written=" + s.written.size());
      publishLiveLater("sensors.s1", 6); // heard live during the replay: already replayed
      publishLiveLater("sensors.s1", 7);
      return Future.succeededFuture();
    }));
    assertTrue(done.recovered());
    assertEquals(SlowPolicy.CONFLATE, done.policy());
    assertEquals(List.of("answer recovered=true policy=conflate written=0"), order);
    Await.until(() -> s.written.size() >= 3, Duration.ofSeconds(5), "condition");
    assertEquals(List.of("{\"id\":\"5\"}", "{\"id\":\"6\"}", "{\"id\":\"7\"}"), s.written);
  }

  /** Delivers a live message from inside a step already on the context. */
  void publishLiveLater(String channel, long seq) {
    bus.publish(new Delivery(channel, seq, 0, "{\"id\":\"" + seq + "\"}"));
  }

  @Test
  @DisplayName("an id out of the window: WebSocket-style answers recovered=false, SSE-style writes a reset")
  void resets() {
    Socket ws = socket();
    Connection a = open(Identity.ANONYMOUS, ws);
    assertFalse(await(() -> a.subscribe("sensors.s1", "0000000000000001", null, false, x -> Future.succeededFuture()))
        .recovered());
    assertEquals(List.of(), ws.written);
    Socket sse = socket();
    Connection b = open(Identity.ANONYMOUS, sse);
    await(() -> b.subscribeAll(Map.of("sensors.s2", SlowPolicy.DROP), ResumeToken.positions(List.of("sensors.s2"),
        "0000000000000001"), true, x -> Future.succeededFuture()));
    assertEquals(1, sse.written.size());
    JsonObject reset = new JsonObject(sse.written.get(0));
    assertEquals("reset", reset.getString("type"), reset.encode());
  }

  @Test
  @DisplayName("a refresh keeps the subject, drops what the new rights do not cover, refuses another subject")
  void refresh() {
    Connection c = open(identity(token("ann", new JsonArray().add("orders.*").add("news.*"), new JsonArray(), 60)),
        socket());
    await(() -> c.subscribe("orders.1", null, null, false, x -> Future.succeededFuture()));
    await(() -> c.subscribe("news.1", null, null, false, x -> Future.succeededFuture()));
    List<String> dropped = await(() -> c.refresh(token("ann", new JsonArray().add("news.*"), new JsonArray(), 120)));
    assertEquals(List.of("orders.1"), dropped);
    assertEquals(List.of("news.1"), List.copyOf(c.subscriptions()));
    assertEquals("forbidden", refusal(() -> c.refresh(token("bob", new JsonArray(), new JsonArray(), 60))).code);
    assertEquals("unauthorized", refusal(() -> c.refresh("not-a-token")).code);
    assertEquals("bad_request", refusal(() -> c.refresh(" ")).code);
    Connection anon = open(Identity.ANONYMOUS, socket());
    assertEquals("forbidden", refusal(() -> anon.refresh(token("ann", new JsonArray(), new JsonArray(), 60))).code);
    assertEquals("ann", c.identity().subject());
  }

  @Test
  @DisplayName("a token's expiry closes its connection with 4002; a refresh moves the deadline")
  void expiry() {
    Socket s = socket();
    Connection c = open(identity(token("ann", new JsonArray(), new JsonArray(), 1)), s);
    Socket t = socket();
    Connection d = open(identity(token("bob", new JsonArray(), new JsonArray(), 1)), t);
    await(() -> d.refresh(token("bob", new JsonArray(), new JsonArray(), 60)));
    Await.until(() -> !s.closes.isEmpty(), Duration.ofSeconds(5), "condition");
    assertEquals(List.of(Disconnect.TOKEN_EXPIRED), s.closes);
    assertFalse(c.isOpen());
    assertTrue(d.isOpen(), "refreshed in time");
    assertEquals(List.of(), t.closes);
    assertEquals(1, metrics.count("pulse.disconnects", "transport", "ws", "reason", "token_expired"));
  }

  @Test
  @DisplayName("a revocation closes the subject's connections with 1008; a rejoin closes all with 1012")
  void revocationAndRejoin() {
    Socket annSocket = socket();
    open(identity(token("ann", new JsonArray(), new JsonArray(), 60)), annSocket);
    Socket bobSocket = socket();
    open(identity(token("bob", new JsonArray(), new JsonArray(), 60)), bobSocket);
    Socket anonSocket = socket();
    open(Identity.ANONYMOUS, anonSocket);
    vertx.eventBus().publish(Addresses.REVOKED_LOCAL, new JsonObject().put("sub", "ann")
        .put("revokedAt", System.currentTimeMillis() + 1000));
    Await.until(() -> !annSocket.closes.isEmpty(), Duration.ofSeconds(5), "condition");
    assertEquals(List.of(Disconnect.REVOKED), annSocket.closes);
    assertEquals(2, on(connections::count));
    vertx.eventBus().publish(Addresses.REJOINED_LOCAL, null);
    Await.until(() -> !bobSocket.closes.isEmpty() && !anonSocket.closes.isEmpty(), Duration.ofSeconds(5), "condition");
    assertEquals(List.of(Disconnect.REJOINED), bobSocket.closes);
    assertEquals(List.of(Disconnect.REVOKED), annSocket.closes, "closed once");
    assertEquals(0, on(connections::count));
  }

  @Test
  @DisplayName("a full socket: drop counts, a disconnect subscription closes with 4001 through the core")
  void slowConsumer() {
    Socket s = socket();
    Connection c = open(Identity.ANONYMOUS, s);
    await(() -> c.subscribe("sensors.s1", null, null, false, x -> Future.succeededFuture()));
    s.full = true;
    publishLive("sensors.s1", 1);
    assertEquals(1, metrics.count("pulse.messages.dropped", "transport", "ws", "reason", "slow_consumer"));
    assertTrue(c.isOpen(), "policy drop keeps the connection");
    assertEquals("disconnect", await(() -> c.subscribe("sensors.s2", null, "disconnect", false,
        x -> Future.succeededFuture())).policy().wire());
    publishLive("sensors.s2", 1);
    assertEquals(List.of(Disconnect.SLOW_CONSUMER), s.closes);
    assertFalse(c.isOpen());
    assertEquals(1, metrics.count("pulse.disconnects", "transport", "ws", "reason", "slow_consumer"));
  }

  @Test
  @DisplayName("publishing: the right is checked before the bus; from is the token's subject, whatever the request says")
  void publish() {
    List<JsonObject> heard = new CopyOnWriteArrayList<>();
    on(() -> vertx.eventBus().<JsonObject>localConsumer(Addresses.PUBLISH, m -> {
      heard.add(m.body());
      if ("bad".equals(m.body().getString("event"))) {
        m.fail(400, "event is bad");
      } else {
        m.reply(new JsonObject().put("id", "0000000000000001"));
      }
    }));
    Connection anon = open(Identity.ANONYMOUS, socket());
    assertEquals(401, refusal(() -> anon.publish(new JsonObject().put("channel", "news.1").put("data", 1))).status);
    Connection ann = open(identity(token("ann", new JsonArray(), new JsonArray().add("news.*"), 60)), socket());
    assertEquals(403, refusal(() -> ann.publish(new JsonObject().put("channel", "orders.1"))).status);
    assertTrue(heard.isEmpty(), "refused before the bus: " + heard);
    String id = await(() -> ann.publish(new JsonObject().put("channel", "news.1").put("data", 1).put("from", "mallory")));
    assertEquals("0000000000000001", id);
    assertEquals("ann", heard.get(0).getString("from"));
    Refusal bad = refusal(() -> ann.publish(new JsonObject().put("channel", "news.1").put("event", "bad")));
    assertEquals("bad_request", bad.code);
    assertEquals("event is bad", bad.getMessage());
    assertNotNull(heard.get(1));
  }

  @Test
  @DisplayName("a closed connection subscribes to nothing: the hub never holds its session")
  void closedSubscribesNothing() {
    Socket s = socket();
    Connection c = open(Identity.ANONYMOUS, s);
    on(() -> {
      c.closed("client_closed");
      return null;
    });
    assertEquals("unavailable", refusal(() -> c.subscribe("sensors.s1", null, null, false, x -> Future.succeededFuture())).code);
    assertTrue(bus.live.isEmpty(), "no registration for a closed connection: " + bus.live.keySet());
    assertEquals(1, metrics.count("pulse.disconnects", "transport", "ws", "reason", "client_closed"));
    assertEquals(0, on(connections::count));
  }

  @Test
  @DisplayName("admission: Origin, then the node's state, then the token; the slot is taken apart")
  void admission() {
    assertEquals(403, refusal(() -> connections.admit("http://evil.example", null)).status);
    assertEquals(401, refusal(() -> connections.admit(null, "not-a-token")).status);
    assertEquals(Identity.ANONYMOUS, await(() -> connections.admit(null, null)));
    assertEquals(1, refused("origin"));
    assertEquals(1, refused("unauthorized"));
  }
}
