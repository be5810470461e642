package io.pulse.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What {@code cluster-hold} asks the nodes' HTTP API while it runs: whether every node's
 * {@code /api/cluster} shows the expected nodes and connection totals, and whether every node's
 * presence of a room lists exactly the expected members; and how long it took until they did.
 */
final class ClusterWatch {

  private static final long POLL_MS = 50;

  private ClusterWatch() {
  }

  /** What every node should show: this many nodes, WebSockets and SSE streams in {@code /api/cluster}. */
  record Totals(int nodes, int ws, int sse) {

    boolean shownBy(JsonObject cluster) {
      JsonObject t = cluster.getJsonObject("totals");
      JsonObject c = t.getJsonObject("connections");
      return t.getInteger("nodes", -1) == nodes && c.getInteger("ws", -1) == ws && c.getInteger("sse", -1) == sse;
    }
  }

  /** {@code /api/cluster} of a node, or null if it did not answer. */
  static JsonObject cluster(Node n) {
    try {
      return ControlHttp.json(n.httpBase() + "/api/cluster");
    } catch (Exception e) {
      return null;
    }
  }

  /** The member names in a node's presence of {@code room}, or null if it did not answer. */
  static Set<String> presence(Node n, String room) {
    try {
      JsonArray members = ControlHttp.json(n.httpBase() + "/api/rooms/" + URLEncoder.encode(room, StandardCharsets.UTF_8)
          + "/presence").getJsonArray("members");
      Set<String> names = new HashSet<>();
      for (int i = 0; i < members.size(); i++) {
        names.add(members.getJsonObject(i).getString("name"));
      }
      return names;
    } catch (Exception e) {
      return null;
    }
  }

  /**
   * Polls every node until its {@code /api/cluster} shows {@code totals} and (if {@code members}
   * is not null) its presence of {@code room} is exactly {@code members}; returns the ms from
   * {@code sinceNanos} until each held on every node, {clusterMs, presenceMs}, -1 where it never
   * did before {@code deadline} (epoch ms).
   */
  static long[] await(List<Node> nodes, Totals totals, String room, Set<String> members, long sinceNanos, long deadline)
      throws InterruptedException {
    long clusterMs = -1;
    long presenceMs = members == null ? 0 : -1;
    while ((clusterMs < 0 || presenceMs < 0) && System.currentTimeMillis() < deadline) {
      if (clusterMs < 0 && nodes.stream().allMatch(n -> {
        JsonObject c = cluster(n);
        return c != null && totals.shownBy(c);
      })) {
        clusterMs = (System.nanoTime() - sinceNanos) / 1_000_000;
      }
      if (presenceMs < 0 && nodes.stream().allMatch(n -> members.equals(presence(n, room)))) {
        presenceMs = (System.nanoTime() - sinceNanos) / 1_000_000;
      }
      Thread.sleep(POLL_MS);
    }
    return new long[] {clusterMs, presenceMs};
  }
}
