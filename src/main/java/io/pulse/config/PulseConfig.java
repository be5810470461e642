package io.pulse.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import io.pulse.hub.SlowPolicies;

/**
 * The node's typed configuration (SPEC §1).
 *
 * <p>Precedence, lowest first: built-in defaults → {@code conf/pulse.json} (or {@code --conf FILE})
 * → {@code PULSE_*} environment variables → {@code -Dpulse.*} system properties. The file may be
 * nested ({@code {"http":{"port":8080}}}) or flat ({@code {"http.port":8080}}). An unknown key, a
 * wrong type or an out-of-range value throws a {@link ConfigException} naming the key.
 */
public final class PulseConfig {

  public static final Path DEFAULT_FILE = Path.of("conf", "pulse.json");

  static final List<Key> KEYS = List.of(
      Key.string("node.name", ""),
      Key.choice("node.transport", "auto", "auto", "io_uring", "epoll", "nio"),
      Key.string("cluster.name", "pulse"),
      Key.string("cluster.host", "127.0.0.1"),
      Key.list("cluster.members", "127.0.0.1"),
      Key.string("cluster.config", ""),
      Key.integer("cluster.quorum", 0, 0, 1000),
      Key.string("http.host", "0.0.0.0"),
      Key.integer("http.port", 8080, 0, 65535),
      Key.integer("http.idleTimeoutSeconds", 60, 2, 86400),
      Key.integer("http.instances", 0, 0, 64),
      Key.string("ws.host", "0.0.0.0"),
      Key.integer("ws.port", 8081, 0, 65535),
      Key.string("ws.path", "/ws"),
      Key.integer("ws.pingSeconds", 25, 1, 3600),
      Key.integer("ws.idleTimeoutSeconds", 60, 2, 86400),
      Key.integer("ws.instances", 0, 0, 64),
      Key.bool("ws.compression", false),
      Key.integer("ws.compressionMinBytes", 256, 0, 16 * 1024 * 1024),
      Key.integer("sse.keepAliveSeconds", 15, 1, 3600),
      Key.integer("sse.retryMs", 2000, 0, 600_000),
      Key.bool("sensors.enabled", true),
      Key.choice("sensors.mode", "singleton", "singleton", "local"),
      Key.integer("sensors.count", 8, 1, 1000),
      Key.integer("sensors.intervalMs", 1000, 10, 3_600_000),
      Key.integer("history.size", 100, 1, 10_000),
      Key.integer("history.ttlSeconds", 300, 1, 7 * 86400),
      Key.integer("history.retireCheckSeconds", 60, 1, 86400),
      Key.integer("limits.maxConnections", Limits.DEFAULT_MAX_CONNECTIONS, 1, 1_000_000),
      Key.integer("limits.maxMessageBytes", Limits.DEFAULT_MAX_MESSAGE_BYTES, 256, 16 * 1024 * 1024),
      Key.integer("limits.maxSubscriptionsPerConnection", Limits.DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION, 1, 10_000),
      Key.integer("limits.inboundPerSecond", Limits.DEFAULT_INBOUND_PER_SECOND, 1, 100_000),
      Key.integer("limits.inboundBurst", Limits.DEFAULT_INBOUND_BURST, 1, 100_000),
      Key.integer("limits.sendQueueBytes", Limits.DEFAULT_SEND_QUEUE_BYTES, 1024, 1 << 30),
      Key.choice("limits.slowConsumer", "disconnect", "disconnect", "drop", "conflate"),
      Key.list("limits.slowConsumerAllowed", "disconnect", "drop", "conflate"),
      Key.object("limits.slowConsumerChannels", new JsonObject()),
      Key.choice("auth.mode", "dev", "dev", "jwt"),
      Key.choice("auth.jwt.algorithm", "HS256", "HS256", "RS256", "ES256"),
      Key.string("auth.jwt.key", ""),
      Key.patterns("auth.publicChannels", "sensors.*", "cluster.*"),
      Key.integer("auth.revokeSeconds", 86400, 60, 366 * 86400),
      Key.string("auth.apiKey", ""),
      Key.list("auth.allowedOrigins", "http://localhost:8080", "http://127.0.0.1:8080"),
      Key.integer("shutdown.graceSeconds", 10, 0, 600),
      Key.choice("bridge.enabled", "auto", "auto", "true", "false"),
      Key.list("bridge.inbound"),
      Key.list("bridge.outbound"),
      Key.integer("bridge.replyTimeoutMs", 10_000, 100, 300_000),
      Key.string("chat.moderation.address", ""),
      Key.integer("chat.moderation.timeoutMs", 2000, 50, 60_000),
      Key.choice("chat.moderation.onFailure", "reject", "reject", "allow"));

  private final Map<String, Object> values;
  private SlowPolicies slowPolicies; // built once the values are checked
  private Limits limits;

  private PulseConfig(Map<String, Object> values) {
    this.values = values;
  }

  /** Defaults only. */
  public static PulseConfig defaults() {
    return resolve(new JsonObject(), Map.of(), Map.of());
  }

  /** Defaults overridden by {@code overrides} (nested or flat JSON); for tests and embedding. */
  public static PulseConfig of(JsonObject overrides) {
    return resolve(overrides, Map.of(), Map.of());
  }

  /**
   * Loads the node configuration: {@code file} (or {@code conf/pulse.json} if it exists when
   * {@code file} is null), then the environment, then system properties ({@link ConfigSources}).
   */
  public static PulseConfig load(Path file, Map<String, String> env, Map<String, String> sysProps) {
    return resolve(ConfigSources.read(file), env, sysProps);
  }

  static PulseConfig resolve(JsonObject file, Map<String, String> env, Map<String, String> sysProps) {
    PulseConfig cfg = new PulseConfig(ConfigSources.values(KEYS, file, env, sysProps));
    ConfigChecks.check(cfg);
    cfg.slowPolicies = ConfigChecks.slowPolicies(cfg.s("limits.slowConsumer"), cfg.l("limits.slowConsumerAllowed"),
        (JsonObject) cfg.values.get("limits.slowConsumerChannels"));
    cfg.limits = new Limits(cfg.i("limits.maxConnections"), cfg.i("limits.maxMessageBytes"),
        cfg.i("limits.maxSubscriptionsPerConnection"), cfg.i("limits.inboundPerSecond"), cfg.i("limits.inboundBurst"),
        cfg.i("limits.sendQueueBytes"), cfg.slowPolicies);
    return cfg;
  }

  /** Every key with its effective value, in table order (tokens and secrets masked). */
  public JsonObject toJson() {
    JsonObject out = new JsonObject();
    for (Key k : KEYS) {
      Object v = values.get(k.name());
      if ((k.name().equals("auth.jwt.key") || k.name().equals("auth.apiKey")) && !"".equals(v)) {
        v = "***";
      }
      out.put(k.name(), v instanceof List<?> l ? new JsonArray(List.copyOf(l)) : v instanceof JsonObject o ? o.copy() : v);
    }
    return out;
  }

  int i(String key) {
    return (Integer) values.get(key);
  }

  String s(String key) {
    return (String) values.get(key);
  }

  @SuppressWarnings("unchecked")
  List<String> l(String key) {
    return (List<String>) values.get(key);
  }

  /** {@code node.transport}: auto, io_uring, epoll or nio. */
  public String nodeTransport() {
    return s("node.transport");
  }

  /** {@code node.name}, defaulting to {@code <hostname>-<http.port>}. */
  public String nodeName() {
    String name = s("node.name");
    if (!name.isBlank()) {
      return name;
    }
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      host = "localhost";
    }
    return host + "-" + httpPort();
  }

  /**
   * {@code n}, or for 0 one instance per core: {@code FanOut} hands each message to the other
   * loops' hubs before it runs its own, so every loop writes its share of a fan-out at once
   * (performance.md in src/site/markdown, "Instances per node": on 2 cores, two WebSocket
   * instances beat one at 5,000 subscribers and were no worse at 1,000; four, more loops than
   * cores, bought nothing). One connection stays on one loop, so its order holds.
   */
  private static int perCore(int n) {
    return n > 0 ? n : Runtime.getRuntime().availableProcessors();
  }

  /**
   * {@code n}, or for 0 one instance per two cores (at least one): measured the same way, two
   * HTTP/SSE instances on 2 cores were no better than one unpinned and worse pinned (performance.md,
   * "Instances per node"), and SockJS's polling transports are untested across instances.
   */
  private static int halfTheCores(int n) {
    return n > 0 ? n : Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
  }

  public String clusterName() { return s("cluster.name"); }
  public String clusterHost() { return s("cluster.host"); }
  public List<String> clusterMembers() { return l("cluster.members"); }
  public String clusterConfig() { return s("cluster.config"); }
  /** Members a side of a split needs to write the history; 0 or 1: no split-brain protection. */
  public int clusterQuorum() { return i("cluster.quorum"); }
  public String httpHost() { return s("http.host"); }
  public int httpPort() { return i("http.port"); }
  public String wsHost() { return s("ws.host"); }
  public int wsPort() { return i("ws.port"); }
  /** Instances of the WebSocket verticle, one per event loop; 0 (the default) = one per core. */
  public int wsInstances() { return perCore(i("ws.instances")); }
  /** Instances of the HTTP/SSE verticle, one per event loop; 0 (the default) = one per two cores. */
  public int httpInstances() { return halfTheCores(i("http.instances")); }
  public String wsPath() { return s("ws.path"); }
  public int wsPingSeconds() { return i("ws.pingSeconds"); }
  public boolean wsCompression() { return (Boolean) values.get("ws.compression"); }
  public int wsCompressionMinBytes() { return i("ws.compressionMinBytes"); }
  public int wsIdleTimeoutSeconds() { return i("ws.idleTimeoutSeconds"); }
  public int sseKeepAliveSeconds() { return i("sse.keepAliveSeconds"); }
  public int sseRetryMs() { return i("sse.retryMs"); }
  public boolean sensorsEnabled() { return (Boolean) values.get("sensors.enabled"); }
  public boolean sensorsSingleton() { return "singleton".equals(s("sensors.mode")); }
  public int sensorsCount() { return i("sensors.count"); }
  public int sensorsIntervalMs() { return i("sensors.intervalMs"); }
  public int historySize() { return i("history.size"); }
  public int historyTtlSeconds() { return i("history.ttlSeconds"); }
  public int historyRetireCheckSeconds() { return i("history.retireCheckSeconds"); }
  public int maxConnections() { return i("limits.maxConnections"); }
  public int maxMessageBytes() { return i("limits.maxMessageBytes"); }
  public int maxSubscriptionsPerConnection() { return i("limits.maxSubscriptionsPerConnection"); }
  public int inboundPerSecond() { return i("limits.inboundPerSecond"); }
  /** {@code limits.inboundBurst}: the rate limiter's burst, and the most chat messages a connection may have awaiting moderation. */
  public int inboundBurst() { return i("limits.inboundBurst"); }
  public int sendQueueBytes() { return i("limits.sendQueueBytes"); }
  /** The {@code limits.*} keys, typed: what every connection is held to ({@link Limits}). */
  public Limits limits() { return limits; }
  /**
   * The slow-consumer policies: {@code limits.slowConsumer} (the default),
   * {@code limits.slowConsumerAllowed} and the per-pattern {@code limits.slowConsumerChannels}.
   */
  public SlowPolicies slowPolicies() { return slowPolicies; }
  public String authMode() { return s("auth.mode"); }
  public String jwtAlgorithm() { return s("auth.jwt.algorithm"); }
  public int revokeSeconds() { return i("auth.revokeSeconds"); }
  public String jwtKey() { return s("auth.jwt.key"); }
  public String apiKey() { return s("auth.apiKey"); }
  public int httpIdleTimeoutSeconds() { return i("http.idleTimeoutSeconds"); }
  public List<String> publicChannels() { return l("auth.publicChannels"); }
  public List<String> allowedOrigins() { return l("auth.allowedOrigins"); }
  public int shutdownGraceSeconds() { return i("shutdown.graceSeconds"); }
  /** {@code bridge.enabled}: {@code auto} (the default) is on in dev mode and off in jwt mode. */
  public boolean bridgeEnabled() {
    String v = s("bridge.enabled");
    return "auto".equals(v) ? "dev".equals(authMode()) : Boolean.parseBoolean(v);
  }
  public List<String> bridgeInbound() { return l("bridge.inbound"); }
  public List<String> bridgeOutbound() { return l("bridge.outbound"); }
  public int bridgeReplyTimeoutMs() { return i("bridge.replyTimeoutMs"); }
  /** {@code chat.moderation.address}: empty = chat messages are published unmoderated. */
  public String moderationAddress() { return s("chat.moderation.address"); }
  public int moderationTimeoutMs() { return i("chat.moderation.timeoutMs"); }
  /** {@code chat.moderation.onFailure} is {@code allow}: no answer in time (or no handler) publishes the text. */
  public boolean moderationFailOpen() { return "allow".equals(s("chat.moderation.onFailure")); }
}
