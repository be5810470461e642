package io.pulse.chat;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.pulse.cluster.HzFutures;
import io.pulse.cluster.Membership;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Who is in each chat room, cluster-wide (SPEC §4, §5).
 *
 * <p>One Hazelcast map entry per node and room, {@code <nodeId>|<room>} → {@code {"name":connections}},
 * written only by that node. A room's members are the sum over live members' entries, so a dead
 * node's entries stop counting the moment Hazelcast drops it; {@link #departed} then deletes them.
 * Thread-safe; asynchronous; completes on the caller's context.
 */
public final class Presence {

  public static final String MAP = "pulse.presence";

  private final Vertx vertx;
  private final HazelcastInstance hz;
  private final Membership membership;
  private volatile IMap<String, String> map;

  public Presence(Vertx vertx, HazelcastInstance hz, Membership membership) {
    this.vertx = vertx;
    this.hz = hz;
    this.membership = membership;
  }

  private Future<IMap<String, String>> map() {
    IMap<String, String> m = map;
    if (m != null) {
      return Future.succeededFuture(m);
    }
    return vertx.executeBlocking(() -> {
      IMap<String, String> created = hz.getMap(MAP);
      map = created;
      return created;
    }, false);
  }

  static String key(String nodeId, String room) {
    return nodeId + "|" + room;
  }

  /** Writes this node's roster of a room (name → connections); an empty roster removes the entry. */
  public Future<Void> write(String nodeId, String room, Map<String, Integer> roster) {
    return map().compose(m -> {
      if (roster.isEmpty()) {
        return HzFutures.on(vertx.getOrCreateContext(), m.removeAsync(key(nodeId, room))).mapEmpty();
      }
      JsonObject json = new JsonObject();
      roster.forEach(json::put);
      return HzFutures.on(vertx.getOrCreateContext(), m.setAsync(key(nodeId, room), json.encode()));
    });
  }

  /** The room's members, cluster-wide: {@code [{"name","connections"}]}, sorted by name. */
  public Future<JsonArray> members(String room) {
    return map().compose(m -> {
      List<Future<String>> reads = new ArrayList<>();
      for (String id : membership.memberIds()) {
        reads.add(HzFutures.on(vertx.getOrCreateContext(), m.getAsync(key(id, room))));
      }
      return Future.all(reads).map(all -> {
        Map<String, Integer> sum = new TreeMap<>();
        for (Future<String> f : reads) {
          if (f.result() != null) {
            new JsonObject(f.result()).forEach(e -> sum.merge(e.getKey(), ((Number) e.getValue()).intValue(), Integer::sum));
          }
        }
        JsonArray out = new JsonArray();
        sum.forEach((name, n) -> out.add(new JsonObject().put("name", name).put("connections", n)));
        return out;
      });
    });
  }

  /** Deletes the entries of nodes that are no longer members; returns room → names that were there. */
  public Future<Map<String, List<String>>> departed(java.util.Set<String> liveMembers) {
    return map().compose(m -> vertx.executeBlocking(() -> {
      Map<String, List<String>> removed = new HashMap<>();
      for (Map.Entry<String, String> e : m.entrySet()) {
        int bar = e.getKey().indexOf('|');
        if (bar > 0 && !liveMembers.contains(e.getKey().substring(0, bar)) && m.remove(e.getKey()) != null) {
          removed.computeIfAbsent(e.getKey().substring(bar + 1), r -> new ArrayList<>())
              .addAll(new JsonObject(e.getValue()).fieldNames());
        }
      }
      return removed;
    }, false));
  }
}
