package io.pulse.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PulseConfigTest {

  @TempDir
  Path dir;

  @Test
  @DisplayName("defaults are SPEC §1's")
  void defaults() {
    PulseConfig c = PulseConfig.defaults();
    assertEquals(8080, c.httpPort());
    assertEquals(8081, c.wsPort());
    assertEquals("/ws", c.wsPath());
    assertEquals("pulse", c.clusterName());
    assertEquals(List.of("127.0.0.1"), c.clusterMembers());
    assertEquals(100, c.historySize());
    assertEquals(300, c.historyTtlSeconds());
    assertEquals(List.of("sensors.*", "cluster.*"), c.publicChannels());
    assertTrue(c.sensorsSingleton());
    assertEquals(io.pulse.hub.SlowPolicy.DISCONNECT, c.limits().slowPolicies().defaultPolicy());
    assertEquals(new io.pulse.config.Limits(20_000, 65_536, 100, 20, 40, 1_048_576, c.slowPolicies()), c.limits());
    assertTrue(c.nodeName().endsWith("-8080"));
    assertEquals("auto", c.nodeTransport());
    int cores = Runtime.getRuntime().availableProcessors();
    assertEquals(Math.max(1, cores / 2), c.httpInstances(), "0: one HTTP instance per two cores");
    assertEquals(cores, c.wsInstances(), "0: one WebSocket instance per core");
    assertEquals(3, PulseConfig.of(new JsonObject().put("ws.instances", 3)).wsInstances());
    assertFalse(c.wsCompression(), "permessage-deflate is off unless asked for");
    assertEquals(256, c.wsCompressionMinBytes());
    PulseConfig deflate = PulseConfig.load(null, Map.of("PULSE_WS_COMPRESSION", "true"),
        Map.of("pulse.ws.compressionMinBytes", "0"));
    assertTrue(deflate.wsCompression());
    assertEquals(0, deflate.wsCompressionMinBytes());
  }

  @Test
  @DisplayName("file < environment < system property, nested or flat file keys")
  void precedence() throws Exception {
    Path file = dir.resolve("pulse.json");
    Files.writeString(file, "{\"http\":{\"port\":9000},\"ws.port\":9001,\"sensors\":{\"count\":3},\"cluster\":{\"members\":[\"127.0.0.1:5701\"]}}");
    PulseConfig c = PulseConfig.load(file,
        Map.of("PULSE_HTTP_PORT", "9100", "PULSE_LIMITS_MAX_CONNECTIONS", "50", "PULSE_SENSORS_COUNT", "4", "PATH", "/bin"),
        Map.of("pulse.http.port", "9200", "pulse.limits.maxConnections", "60", "java.version", "17"));
    assertEquals(9200, c.httpPort(), "system property wins");
    assertEquals(60, c.maxConnections());
    assertEquals(4, c.sensorsCount(), "environment beats the file");
    assertEquals(9001, c.wsPort(), "flat file keys work");
    assertEquals(List.of("127.0.0.1:5701"), c.clusterMembers());
    PulseConfig compact = PulseConfig.load(file, Map.of("PULSE_LIMITS_MAXCONNECTIONS", "70"), Map.of());
    assertEquals(70, compact.maxConnections());
    assertEquals(9000, compact.httpPort());
  }

  @Test
  @DisplayName("lists from the environment: comma-separated or a JSON array")
  void lists() {
    assertEquals(List.of("10.0.0.1", "10.0.0.2:5702"),
        PulseConfig.load(null, Map.of("PULSE_CLUSTER_MEMBERS", "10.0.0.1, 10.0.0.2:5702"), Map.of()).clusterMembers());
    assertEquals(List.of("chat.*"),
        PulseConfig.load(null, Map.of(), Map.of("pulse.auth.publicChannels", "[\"chat.*\"]")).publicChannels());
  }

  @Test
  @DisplayName("bad values stop the node with one line naming the key")
  void validation() {
    assertMessage("'http.port'", () -> PulseConfig.of(new JsonObject().put("http.port", 70000)));
    assertMessage("'http.port'", () -> PulseConfig.of(new JsonObject().put("http", new JsonObject().put("port", "80"))));
    assertMessage("'http.port'", () -> PulseConfig.load(null, Map.of(), Map.of("pulse.http.port", "eighty")));
    assertMessage("'sensors.mode'", () -> PulseConfig.of(new JsonObject().put("sensors.mode", "sometimes")));
    assertMessage("'node.transport'", () -> PulseConfig.of(new JsonObject().put("node.transport", "kqueue")));
    assertMessage("'ws.instances'", () -> PulseConfig.of(new JsonObject().put("ws.instances", 65)));
    assertMessage("'http.instances'", () -> PulseConfig.of(new JsonObject().put("http.instances", -1)));
    assertMessage("'sensors.enabled'", () -> PulseConfig.load(null, Map.of("PULSE_SENSORS_ENABLED", "yes"), Map.of()));
    assertMessage("'ws.compression'", () -> PulseConfig.of(new JsonObject().put("ws.compression", "on")));
    assertMessage("'ws.compressionMinBytes'", () -> PulseConfig.of(new JsonObject().put("ws.compressionMinBytes", -1)));
    assertMessage("'history.size'", () -> PulseConfig.of(new JsonObject().put("history.size", 0)));
    assertMessage("'history.size'", () -> PulseConfig.of(new JsonObject().put("history.size", 1.5)));
    assertMessage("'auth.publicChannels'", () -> PulseConfig.of(new JsonObject().put("auth.publicChannels", new io.vertx.core.json.JsonArray().add("bad channel"))));
    assertMessage("'cluster.members'", () -> PulseConfig.of(new JsonObject().put("cluster.members", "127.0.0.1")));
    assertMessage("'ws.path'", () -> PulseConfig.of(new JsonObject().put("ws.path", "ws")));
    assertMessage("'auth.apiKey'", () -> PulseConfig.of(new JsonObject().put("auth.apiKey", "short")));
    assertMessage("'limits.inboundBurst'", () -> PulseConfig.of(new JsonObject().put("limits.inboundPerSecond", 50)));
    assertMessage("unknown config key 'http.prot'", () -> PulseConfig.of(new JsonObject().put("http", new JsonObject().put("prot", 1))));
    assertMessage("unknown config key 'nope'", () -> PulseConfig.load(null, Map.of(), Map.of("pulse.nope", "1")));
    assertMessage("PULSE_HTTP_PROT", () -> PulseConfig.load(null, Map.of("PULSE_HTTP_PROT", "1"), Map.of()));
  }

  @Test
  @DisplayName("bridge and moderation keys: defaults by auth mode, validated addresses")
  void bridgeKeys() {
    String secret = "0123456789abcdef0123456789abcdef";
    assertTrue(PulseConfig.defaults().bridgeEnabled(), "auto: on in dev mode");
    assertFalse(PulseConfig.of(new JsonObject().put("auth.mode", "jwt").put("auth.jwt.key", secret)).bridgeEnabled(),
        "auto: off in jwt mode");
    assertTrue(PulseConfig.of(new JsonObject().put("auth.mode", "jwt").put("auth.jwt.key", secret)
        .put("bridge", new JsonObject().put("enabled", true))).bridgeEnabled(), "a JSON boolean is accepted");
    assertFalse(PulseConfig.load(null, Map.of("PULSE_BRIDGE_ENABLED", "false"), Map.of()).bridgeEnabled());
    PulseConfig d = PulseConfig.defaults();
    assertEquals(List.of(), d.bridgeInbound(), "default deny");
    assertEquals(List.of(), d.bridgeOutbound(), "default deny");
    assertEquals(10_000, d.bridgeReplyTimeoutMs());
    assertEquals("", d.moderationAddress());
    assertEquals(2000, d.moderationTimeoutMs());
    assertFalse(d.moderationFailOpen(), "fail-closed by default");
    assertEquals(List.of("app.moderation", "app.news.*"), PulseConfig.load(null,
        Map.of("PULSE_BRIDGE_INBOUND", "app.moderation, app.news.*"), Map.of()).bridgeInbound());
    assertMessage("'bridge.enabled'", () -> PulseConfig.of(new JsonObject().put("bridge.enabled", "yes")));
    assertMessage("'bridge.inbound'", () -> PulseConfig.of(new JsonObject().put("bridge.inbound",
        new io.vertx.core.json.JsonArray().add("app moderation"))));
    assertMessage("'bridge.inbound'", () -> PulseConfig.of(new JsonObject().put("bridge.inbound",
        new io.vertx.core.json.JsonArray().add("pulse.publish"))));
    assertMessage("'bridge.outbound'", () -> PulseConfig.of(new JsonObject().put("bridge.outbound",
        new io.vertx.core.json.JsonArray().add("app.*.x"))));
    assertMessage("'bridge.replyTimeoutMs'", () -> PulseConfig.of(new JsonObject().put("bridge.replyTimeoutMs", 10)));
    assertMessage("'chat.moderation.address'", () -> PulseConfig.of(new JsonObject().put("chat.moderation.address", "app.*")));
    assertMessage("'chat.moderation.timeoutMs'", () -> PulseConfig.of(new JsonObject().put("chat.moderation.timeoutMs", 0)));
    assertMessage("'chat.moderation.onFailure'", () -> PulseConfig.of(new JsonObject().put("chat.moderation.onFailure", "open")));
  }

  @Test
  @DisplayName("slow-consumer policies: a global default, what clients may choose, and rules per channel pattern")
  void slowConsumerPolicies() throws Exception {
    PulseConfig d = PulseConfig.defaults();
    assertEquals(io.pulse.hub.SlowPolicy.DISCONNECT, d.slowPolicies().resolve("sensors.*", null));
    assertEquals(io.pulse.hub.SlowPolicy.CONFLATE, d.slowPolicies().resolve("sensors.*", "conflate"), "allowed by default");
    assertEquals(io.pulse.hub.SlowPolicy.DROP,
        PulseConfig.of(new JsonObject().put("limits.slowConsumer", "drop")).slowPolicies().resolve("chat.x", null),
        "limits.slowConsumer alone works as before");
    Path file = dir.resolve("policies.json");
    Files.writeString(file, "{\"limits\":{\"slowConsumerAllowed\":[\"disconnect\"],"
        + "\"slowConsumerChannels\":{\"sensors.*\":{\"default\":\"conflate\",\"allow\":[\"drop\"]}}}}");
    PulseConfig c = PulseConfig.load(file, Map.of(), Map.of());
    assertEquals(io.pulse.hub.SlowPolicy.CONFLATE, c.slowPolicies().resolve("sensors.s-01", null));
    assertEquals(io.pulse.hub.SlowPolicy.DROP, c.slowPolicies().resolve("sensors.*", "drop"));
    assertThrows(IllegalArgumentException.class, () -> c.slowPolicies().resolve("chat.x", "conflate"));
    assertEquals("conflate", c.toJson().getJsonObject("limits.slowConsumerChannels").getJsonObject("sensors.*").getString("default"));
    PulseConfig env = PulseConfig.load(null,
        Map.of("PULSE_LIMITS_SLOW_CONSUMER_CHANNELS", "{\"chat.*\":{\"default\":\"drop\",\"allow\":[]}}"), Map.of());
    assertEquals(io.pulse.hub.SlowPolicy.DROP, env.slowPolicies().resolve("chat.lobby", null));
    assertThrows(IllegalArgumentException.class, () -> env.slowPolicies().resolve("chat.lobby", "conflate"));

    assertMessage("'limits.slowConsumer'", () -> PulseConfig.of(new JsonObject().put("limits.slowConsumer", "latest")));
    assertMessage("'limits.slowConsumerAllowed'",
        () -> PulseConfig.of(new JsonObject().put("limits.slowConsumerAllowed", new io.vertx.core.json.JsonArray().add("latest"))));
    assertMessage("'limits.slowConsumerChannels' (config file) must be a JSON object",
        () -> PulseConfig.of(new JsonObject().put("limits.slowConsumerChannels", "sensors.*=conflate")));
    assertMessage("'limits.slowConsumerChannels' (environment PULSE_LIMITS_SLOW_CONSUMER_CHANNELS) must be a JSON object",
        () -> PulseConfig.load(null, Map.of("PULSE_LIMITS_SLOW_CONSUMER_CHANNELS", "sensors.*"), Map.of()));
    assertMessage("'limits.slowConsumerChannels' has an invalid channel pattern 'bad channel'",
        () -> PulseConfig.of(new JsonObject().put("limits.slowConsumerChannels", new JsonObject().put("bad channel", new JsonObject()))));
    assertMessage("'limits.slowConsumerChannels' 'sensors.*'.default must be one of",
        () -> PulseConfig.of(new JsonObject().put("limits.slowConsumerChannels",
            new JsonObject().put("sensors.*", new JsonObject().put("default", "latest")))));
  }

  @Test
  @DisplayName("a file that is not JSON is refused with its path")
  void badFile() throws Exception {
    Path file = dir.resolve("bad.json");
    Files.writeString(file, "{ not json");
    assertMessage(file.toString(), () -> PulseConfig.load(file, Map.of(), Map.of()));
    assertMessage("missing.json", () -> PulseConfig.load(dir.resolve("missing.json"), Map.of(), Map.of()));
  }

  @Test
  @DisplayName("the real launcher exits with code 2 and one line on a bad value, before joining any cluster")
  void mainExitsWithCode2() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        "-Dpulse.limits.maxConnections=-5", "io.pulse.Main")
        .directory(dir.toFile())
        .redirectOutput(new File(dir.toFile(), "out.txt"));
    pb.environment().keySet().removeIf(k -> k.startsWith("PULSE_"));
    Process p = pb.start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "exits at once");
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertEquals(2, p.exitValue(), err);
    assertEquals(1, err.lines().count(), err);
    assertTrue(err.contains("'limits.maxConnections'") && err.contains("-5"), err);
  }

  private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable e) {
    ConfigException ex = assertThrows(ConfigException.class, e);
    assertTrue(ex.getMessage().contains(expected), "message '" + ex.getMessage() + "' should name " + expected);
    assertFalse(ex.getMessage().contains("\n"), "one line");
  }
}
