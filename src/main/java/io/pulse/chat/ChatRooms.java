package io.pulse.chat;

import io.pulse.messages.Addresses;
import io.pulse.cluster.Membership;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's side of the chat rooms, shared by the WebSocket verticle's instances (one per event
 * loop): the roster of names per room, its presence entry, the join/leave envelopes, and the
 * clean-up after a departed node. Thread-safe; every future it returns completes on the caller's
 * context.
 */
public final class ChatRooms {

  private static final Logger LOG = LoggerFactory.getLogger(ChatRooms.class);

  private final Vertx vertx;
  private final Presence presence;
  private final Membership membership;
  private final String nodeId;
  private final Roster roster = new Roster(); // guarded by this
  private final Map<String, Future<Void>> writes = new HashMap<>(); // guarded by this

  public ChatRooms(Vertx vertx, Presence presence, Membership membership, String nodeId) {
    this.vertx = vertx;
    this.presence = presence;
    this.membership = membership;
    this.nodeId = nodeId;
  }

  /** Updates the roster and presence, then publishes the join or leave envelope. */
  public Future<Void> event(String room, String name, boolean join) {
    Context caller = vertx.getOrCreateContext();
    Future<Void> written;
    synchronized (this) {
      if (join) {
        roster.join(room, name);
      } else {
        roster.leave(room, name);
      }
      written = writeRoster(room);
    }
    Future<?> published = vertx.eventBus().request(Addresses.PUBLISH, new JsonObject().put("channel", "chat." + room)
        .put("event", join ? "join" : "leave").put("from", name).put("data", new JsonObject().put("name", name)), Addresses.LOCAL);
    return on(caller, Future.join(written, published).mapEmpty());
  }

  /**
   * Roster writes of one room go out one after another, each with the roster as it is when it
   * goes, so the last one wins.
   */
  private Future<Void> writeRoster(String room) {
    Future<Void> previous = writes.getOrDefault(room, Future.succeededFuture());
    Future<Void> next = previous.transform(ar -> {
      Map<String, Integer> snapshot;
      synchronized (this) {
        snapshot = roster.snapshot(room);
      }
      return presence.write(nodeId, room, snapshot);
    });
    writes.put(room, next);
    next.onComplete(ar -> {
      synchronized (this) {
        writes.remove(room, next);
      }
      if (ar.failed()) {
        LOG.warn("presence write failed for room {}: {}", room, ar.cause().toString());
      }
    });
    return next;
  }

  /**
   * Call when the membership changed. This node writes its rosters again: an entry whose
   * partition had its primary and its backup on members that are gone (the small side of a
   * split, two nodes lost at once) is gone with them. Then the oldest member removes a departed
   * node's presence and tells its rooms ({@code leave} with {@code reason: node_left}).
   */
  public void purgeDeparted() {
    synchronized (this) {
      roster.rooms().forEach(this::writeRoster);
    }
    Set<String> members = membership.memberIds();
    if (members.isEmpty() || !members.iterator().next().equals(nodeId)) {
      return;
    }
    presence.departed(members).onSuccess(gone -> gone.forEach((room, names) -> names.forEach(name ->
        vertx.eventBus().send(Addresses.PUBLISH, new JsonObject().put("channel", "chat." + room).put("event", "leave")
            .put("from", name).put("data", new JsonObject().put("name", name).put("reason", "node_left")), Addresses.LOCAL))));
  }

  /** {@code f}, completing on {@code context}. */
  static <T> Future<T> on(Context context, Future<T> f) {
    Promise<T> there = Promise.promise();
    f.onComplete(ar -> {
      if (Vertx.currentContext() == context) {
        there.handle(ar);
      } else {
        context.runOnContext(v -> there.handle(ar));
      }
    });
    return there.future();
  }
}
