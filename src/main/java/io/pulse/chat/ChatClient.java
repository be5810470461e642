package io.pulse.chat;

import io.pulse.auth.Identity;
import io.pulse.conn.Connection;
import io.pulse.conn.Connections;
import io.pulse.conn.Refusal;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The chat of one connection (SPEC §4 {@code join}, {@code chat}, {@code leave}, {@code presence}):
 * the rooms it is in and the name it uses in each. A room is the channel {@code chat.<room>},
 * subscribed through the connection core; {@code join}/{@code leave} envelopes reach every member
 * on every node ({@link ChatRooms}); chat messages pass the moderation hook ({@link Moderation})
 * and reach the room in the order the connection sent them ({@link OrderedRelease}, bounded by
 * {@code limits.inboundBurst}). The transport parses and frames; answers go to a {@link Reply}.
 *
 * <p>Not thread-safe: lives on its connection's event loop.
 */
public final class ChatClient {

  private static final Pattern ROOM = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  /** Where the answer to one client message goes (the transport adds its reference). */
  public interface Reply {
    void ok(JsonObject answer);

    void refused(Refusal r);
  }

  private final Connections connections;
  private final Connection connection;
  private final Presence presence;
  private final ChatRooms roomEvents;
  private final Moderation moderation;
  private final OrderedRelease<String> verdicts; // this connection's chat messages, in the order sent
  private final Map<String, String> rooms = new HashMap<>(); // room → name used there
  private final int backlog;

  public ChatClient(Connections connections, Connection connection, Presence presence, ChatRooms roomEvents,
      Moderation moderation) {
    this.connections = connections;
    this.connection = connection;
    this.presence = presence;
    this.roomEvents = roomEvents;
    this.moderation = moderation;
    this.backlog = connections.config().inboundBurst();
    this.verdicts = new OrderedRelease<>(backlog);
  }

  /** {@code join}: subscribes to the room; the answer lists its members and precedes its messages. */
  public void join(JsonObject msg, Reply out) {
    String room = room(msg, out);
    if (room == null || refused(connections.checkChat(connection.identity(), "chat"), out)) {
      return;
    }
    Identity identity = connection.identity();
    // With a token the name is its subject (SPEC §8); in dev mode without one, the client picks it.
    Object nameRaw = identity.anonymous() ? msg.getValue("name") : identity.subject();
    if (!(nameRaw instanceof String raw) || raw.isBlank() || raw.length() > 64) {
      out.refused(connections.refused(Refusal.badRequest("name must be a string of 1-64 characters")));
      return;
    }
    if (rooms.containsKey(room)) {
      out.refused(connections.refused(Refusal.badRequest("already joined '" + room + "'")));
      return;
    }
    String name = raw.trim();
    String channel = channel(room);
    rooms.put(room, name);
    // A room's channel is the chat right's, not a subscription right's (nor counted against the limit).
    connection.subscribeAll(Map.of(channel, connections.policy(channel, null)), Map.of(), false, subscribed ->
        roomEvents.event(room, name, true)
            .transform(ar -> presence.members(room))
            .transform(members -> {
              out.ok(new JsonObject().put("type", "joined").put("room", room)
                  .put("members", members.succeeded() ? members.result() : new JsonArray()));
              return Future.succeededFuture();
            }));
  }

  /** {@code chat}: moderated, then published to the room, in the order this connection sent them. */
  public void chat(JsonObject msg, Reply out) {
    String room = room(msg, out);
    if (room == null) {
      return;
    }
    String name = rooms.get(room);
    if (name == null) {
      out.refused(new Refusal(403, "forbidden", "join '" + room + "' before chatting there", null));
      return;
    }
    if (!(msg.getValue("text") instanceof String text) || text.isEmpty()) {
      out.refused(connections.refused(Refusal.badRequest("text must be a non-empty string")));
      return;
    }
    // Verdicts may come in any order; this connection's messages are answered and published in the
    // order it sent them, each after the verdicts on the earlier ones.
    if (!verdicts.offer(() -> moderation.review(room, name, connection.identity().subject(), text), ar -> moderated(room, name, ar, out))) {
      out.refused(connections.refused(new Refusal(429, "rate_limited", "already " + backlog
          + " chat messages awaiting moderation (limits.inboundBurst); wait for their answers", "moderation_backlog")));
    }
  }

  private void moderated(String room, String name, AsyncResult<String> verdict, Reply out) {
    if (verdict.failed()) {
      String code = verdict.cause() instanceof Moderation.Refusal r ? r.code : Moderation.UNAVAILABLE;
      out.refused(connections.refused(new Refusal(Moderation.REJECTED.equals(code) ? 403 : 503, code,
          verdict.cause().getMessage(), Moderation.REJECTED.equals(code) ? "moderated" : "moderation_unavailable")));
      return;
    }
    JsonObject body = new JsonObject().put("channel", channel(room)).put("event", "chat")
        .put("from", name).put("data", new JsonObject().put("text", verdict.result()));
    connection.send(body).onComplete(ar -> {
      if (ar.succeeded()) {
        out.ok(new JsonObject().put("type", "sent").put("id", ar.result()));
      } else {
        out.refused(ar.cause() instanceof Refusal r ? r : Refusal.unavailable("publish failed, try again"));
      }
    });
  }

  /** {@code leave}: the room hears it; leaving a room one is not in is answered the same. */
  public void leave(JsonObject msg, Reply out) {
    String room = room(msg, out);
    if (room == null) {
      return;
    }
    String name = rooms.remove(room);
    if (name != null) {
      roomEvents.event(room, name, false);
      connection.unsubscribe(channel(room));
    }
    out.ok(new JsonObject().put("type", "left").put("room", room));
  }

  /** {@code presence}: the room's members, cluster-wide. */
  public void presence(JsonObject msg, Reply out) {
    String room = room(msg, out);
    if (room == null || refused(connections.checkChat(connection.identity(), "see presence"), out)) {
      return;
    }
    presence.members(room).onComplete(ar -> {
      if (ar.succeeded()) {
        out.ok(new JsonObject().put("type", "presence").put("room", room).put("members", ar.result()));
      } else {
        out.refused(Refusal.unavailable("presence unavailable"));
      }
    });
  }

  /**
   * The connection is gone: leaves every room (messages still awaiting their verdict are not
   * published). Completes when the rooms know; calling it again does nothing.
   */
  public Future<Void> closed() {
    verdicts.close();
    List<Future<Void>> leaves = new ArrayList<>();
    rooms.forEach((room, name) -> leaves.add(roomEvents.event(room, name, false)));
    rooms.clear();
    return Future.join(leaves).mapEmpty();
  }

  private static String channel(String room) {
    return "chat." + room;
  }

  private String room(JsonObject msg, Reply out) {
    Object room = msg.getValue("room");
    if (!(room instanceof String r) || !ROOM.matcher(r).matches()) {
      out.refused(connections.refused(Refusal.badRequest("room must be 1-64 characters [A-Za-z0-9_-]")));
      return null;
    }
    return r;
  }

  private static boolean refused(Refusal r, Reply out) {
    if (r != null) {
      out.refused(r);
    }
    return r != null;
  }
}
