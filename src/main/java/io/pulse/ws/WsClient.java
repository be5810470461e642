package io.pulse.ws;

import io.pulse.Addresses;
import io.pulse.auth.Auth;
import io.pulse.auth.Identity;
import io.pulse.channel.Channels;
import io.pulse.chat.Moderation;
import io.pulse.chat.Presence;
import io.pulse.config.PulseConfig;
import io.pulse.history.History;
import io.pulse.history.History.Replay;
import io.pulse.hub.Delivery;
import io.pulse.hub.Hub;
import io.pulse.hub.SlowPolicy;
import io.pulse.messages.Envelope;
import io.pulse.metrics.PulseMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The JSON protocol of one WebSocket (SPEC §4): parses each client message, checks it, and answers.
 * Who receives what is the hub's business, who is in a room the roster's and presence's.
 */
final class WsClient {

  /** Refusals in a row (rate limit) after which the connection is closed with 1008. */
  static final int ABUSE_LIMIT = 50;
  private static final Pattern ROOM = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  interface Rooms {
    /** Completes once presence shows the new member. */
    Future<Void> joined(WsClient c, String room, String name);

    /** Completes once the leave is published and presence updated. */
    Future<Void> left(WsClient c, String room, String name);
  }

  final WsSession session;
  final WsConnection conn;
  final Set<String> subscriptions = new LinkedHashSet<>();
  final Map<String, String> rooms = new HashMap<>(); // room → name used there
  private final Vertx vertx;
  private final PulseConfig cfg;
  private final Auth auth;
  private Identity identity; // replaced by a refresh; this connection's event loop only
  private long expiryTimer = -1;
  private final Hub hub;
  private final History history;
  private final Presence presence;
  private final PulseMetrics metrics;
  private final RateLimiter limiter;
  private final Rooms roomEvents;
  private final Moderation moderation;

  WsClient(Vertx vertx, PulseConfig cfg, Auth auth, Identity identity, Hub hub, History history, Presence presence,
      PulseMetrics metrics, WsSession session, WsConnection conn, Rooms roomEvents) {
    this.vertx = vertx;
    this.cfg = cfg;
    this.auth = auth;
    this.identity = identity;
    this.hub = hub;
    this.history = history;
    this.presence = presence;
    this.metrics = metrics;
    this.session = session;
    this.conn = conn;
    this.roomEvents = roomEvents;
    this.limiter = new RateLimiter(cfg.inboundPerSecond(), cfg.inboundBurst(), System.nanoTime());
    this.moderation = new Moderation(vertx, cfg);
  }

  /** One whole text message from the client. */
  void onText(String text) {
    if (!limiter.tryAcquire(System.nanoTime())) {
      metrics.refused("rate_limited");
      if (limiter.refusedInARow() >= ABUSE_LIMIT) {
        conn.close(CloseCodes.POLICY, "rate limit exceeded repeatedly", "policy");
      } else if (limiter.refusedInARow() == 1 || limiter.refusedInARow() % 10 == 0) {
        error(null, "rate_limited", "over limits.inboundPerSecond (" + cfg.inboundPerSecond() + "/s); slow down");
      }
      return;
    }
    JsonObject msg;
    try {
      msg = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      badRequest(null, "message must be a JSON object");
      return;
    }
    Object ref = msg.getValue("ref");
    if (!(msg.getValue("type") instanceof String type)) {
      badRequest(ref, "type is required");
      return;
    }
    switch (type) {
      case "subscribe" -> subscribe(msg, ref);
      case "unsubscribe" -> unsubscribe(msg, ref);
      case "publish" -> publish(msg, ref);
      case "join" -> join(msg, ref);
      case "chat" -> chat(msg, ref);
      case "leave" -> leave(msg, ref);
      case "presence" -> presence(msg, ref);
      case "ping" -> reply(ref, new JsonObject().put("type", "pong"));
      case "refresh" -> refresh(msg, ref);
      default -> badRequest(ref, "unknown type '" + abbreviate(type) + "'");
    }
  }

  private void subscribe(JsonObject msg, Object ref) {
    String spec = string(msg, "channel");
    String err = spec == null ? "channel must be a string" : Channels.subscriptionError(spec);
    if (err != null) {
      badRequest(ref, err);
      return;
    }
    if (denied(ref, auth.subscribeRight(identity, spec), "subscribe to " + spec)) {
      return;
    }
    Object sinceRaw = msg.getValue("since");
    if (sinceRaw != null && !(sinceRaw instanceof String)) {
      badRequest(ref, "since must be a string id");
      return;
    }
    Object policyRaw = msg.getValue("policy");
    if (policyRaw != null && !(policyRaw instanceof String)) {
      badRequest(ref, "policy must be a string (" + SlowPolicy.names() + ")");
      return;
    }
    SlowPolicy policy;
    try {
      policy = cfg.slowPolicies().resolve(spec, (String) policyRaw);
    } catch (IllegalArgumentException e) {
      badRequest(ref, e.getMessage());
      return;
    }
    if (!subscriptions.contains(spec) && subscriptions.size() >= cfg.maxSubscriptionsPerConnection()) {
      metrics.refused("max_subscriptions");
      error(ref, "bad_request", "at most " + cfg.maxSubscriptionsPerConnection()
          + " subscriptions per connection (limits.maxSubscriptionsPerConnection)");
      return;
    }
    boolean fresh = subscriptions.add(spec);
    if (fresh) {
      metrics.subscriptions(PulseMetrics.WS).incrementAndGet();
    }
    session.policy(spec, policy);
    Map<String, Long> wanted = resumePositions(spec, (String) sinceRaw);
    session.beginRecovery();
    hub.subscribe(session, spec)
        .compose(v -> history.sinceAll(wanted, Integer.MAX_VALUE))
        .onComplete(ar -> {
          boolean recovered = ar.succeeded() && !wanted.isEmpty()
              && ar.result().values().stream().allMatch(Replay::recovered);
          reply(ref, new JsonObject().put("type", "subscribed").put("channel", spec).put("recovered", recovered)
              .put("policy", policy.wire()));
          List<Delivery> missed = ar.succeeded()
              ? ar.result().values().stream().filter(Replay::recovered).flatMap(r -> r.messages().stream()).toList()
              : List.of();
          session.endRecovery(missed);
        });
  }

  /** {@code since}: an envelope id for a channel; a {@code channel:id,…} token for a pattern. */
  private Map<String, Long> resumePositions(String spec, String since) {
    Map<String, Long> wanted = new HashMap<>();
    if (since == null) {
      return wanted;
    }
    if (!Channels.isPattern(spec)) {
      long seq = Envelope.seqOf(since);
      wanted.put(spec, seq);
      if (seq >= -1) {
        session.seed(spec, seq);
      }
      return wanted;
    }
    for (String part : since.split(",")) {
      int colon = part.lastIndexOf(':');
      if (colon > 0 && Channels.channelError(part.substring(0, colon)) == null
          && Channels.matches(spec, part.substring(0, colon))) {
        long seq = Envelope.seqOf(part.substring(colon + 1));
        wanted.put(part.substring(0, colon), seq);
        if (seq >= -1) {
          session.seed(part.substring(0, colon), seq);
        }
      }
    }
    return wanted;
  }

  private void unsubscribe(JsonObject msg, Object ref) {
    String spec = string(msg, "channel");
    if (spec == null) {
      badRequest(ref, "channel must be a string");
      return;
    }
    drop(spec);
    reply(ref, new JsonObject().put("type", "unsubscribed").put("channel", spec));
  }

  private void drop(String spec) {
    if (subscriptions.remove(spec)) {
      hub.unsubscribe(session, spec);
      session.policy(spec, null);
      metrics.subscriptions(PulseMetrics.WS).decrementAndGet();
    }
  }

  /**
   * A new token for this connection, before the current one expires: same subject, new expiry
   * and rights. Subscriptions the new rights no longer cover are dropped, each with an
   * {@code unsubscribed} message. A bad token changes nothing: the connection keeps the old one.
   */
  private void refresh(JsonObject msg, Object ref) {
    String token = string(msg, "token");
    if (token == null || token.isBlank()) {
      badRequest(ref, "token must be a non-empty string");
      return;
    }
    if (identity.anonymous()) {
      metrics.refused("forbidden");
      error(ref, "forbidden", "this connection was opened without a token; reconnect with ?token= instead");
      return;
    }
    auth.authenticate(token).onComplete(ar -> {
      if (session.isClosed() || conn.closing()) {
        return;
      }
      if (ar.failed()) {
        metrics.refused("unauthorized");
        error(ref, "unauthorized", "invalid or expired token; the connection keeps its current one");
        return;
      }
      Identity next = ar.result();
      if (!identity.subject().equals(next.subject())) {
        metrics.refused("forbidden");
        error(ref, "forbidden", "the token is for another subject");
        return;
      }
      identity = next;
      watchExpiry();
      for (String spec : List.copyOf(subscriptions)) {
        if (auth.subscribeRight(identity, spec) != 0) {
          drop(spec);
          reply(null, new JsonObject().put("type", "unsubscribed").put("channel", spec).put("reason", "forbidden"));
        }
      }
      reply(ref, new JsonObject().put("type", "refreshed")
          .put("expiresAt", identity.expiresAtMs() > 0 ? identity.expiresAtMs() : null));
    });
  }

  /** Who this connection is (the token it runs on now). */
  Identity identity() {
    return identity;
  }

  /** Closes the connection with 4002 when its token expires; replaces any earlier watch. */
  void watchExpiry() {
    stopWatchingExpiry();
    if (identity.expiresAtMs() > 0) {
      expiryTimer = vertx.setTimer(Math.max(1, identity.expiresAtMs() - System.currentTimeMillis()),
          t -> conn.close(CloseCodes.TOKEN_EXPIRED, "token expired", "token_expired"));
    }
  }

  void stopWatchingExpiry() {
    if (expiryTimer >= 0) {
      vertx.cancelTimer(expiryTimer);
      expiryTimer = -1;
    }
  }

  private void publish(JsonObject msg, Object ref) {
    if (msg.getValue("channel") instanceof String ch && Channels.channelError(ch) == null
        && denied(ref, auth.publishRight(identity, ch), "publish to " + ch)) {
      return;
    }
    JsonObject body = new JsonObject().put("channel", msg.getValue("channel")).put("data", msg.getValue("data"))
        .put("from", identity.subject());
    if (msg.containsKey("event")) {
      body.put("event", msg.getValue("event"));
    }
    send(body, ref, id -> new JsonObject().put("type", "published").put("id", id));
  }

  private void join(JsonObject msg, Object ref) {
    String room = room(msg, ref);
    if (room == null) {
      return;
    }
    if (denied(ref, auth.chatRight(identity), "chat")) {
      return;
    }
    // With a token the name is its subject (SPEC §8); in dev mode without one, the client picks it.
    Object nameRaw = identity.anonymous() ? msg.getValue("name") : identity.subject();
    if (!(nameRaw instanceof String name) || name.isBlank() || name.length() > 64) {
      badRequest(ref, "name must be a string of 1-64 characters");
      return;
    }
    if (rooms.containsKey(room)) {
      badRequest(ref, "already joined '" + room + "'");
      return;
    }
    String channel = "chat." + room;
    if (subscriptions.add(channel)) {
      metrics.subscriptions(PulseMetrics.WS).incrementAndGet();
    }
    rooms.put(room, name.trim());
    session.policy(channel, cfg.slowPolicies().resolve(channel, null));
    session.beginRecovery();
    hub.subscribe(session, channel)
        .transform(ar -> roomEvents.joined(this, room, name.trim()))
        .transform(ar -> presence.members(room))
        .onComplete(members -> {
        reply(ref, new JsonObject().put("type", "joined").put("room", room)
            .put("members", members.succeeded() ? members.result() : new io.vertx.core.json.JsonArray()));
        session.endRecovery(List.of());
      });
  }

  private void chat(JsonObject msg, Object ref) {
    String room = room(msg, ref);
    if (room == null) {
      return;
    }
    String name = rooms.get(room);
    if (name == null) {
      error(ref, "forbidden", "join '" + room + "' before chatting there");
      return;
    }
    if (!(msg.getValue("text") instanceof String text) || text.isEmpty()) {
      badRequest(ref, "text must be a non-empty string");
      return;
    }
    // The moderation hook, if configured, may reject or rewrite the text first (io.pulse.chat.Moderation).
    moderation.review(room, name, identity.subject(), text).onComplete(ar -> {
      if (ar.failed()) {
        String code = ar.cause() instanceof Moderation.Refusal r ? r.code : Moderation.UNAVAILABLE;
        metrics.refused(Moderation.REJECTED.equals(code) ? "moderated" : "moderation_unavailable");
        error(ref, code, ar.cause().getMessage());
        return;
      }
      JsonObject body = new JsonObject().put("channel", "chat." + room).put("event", "chat")
          .put("from", name).put("data", new JsonObject().put("text", ar.result()));
      send(body, ref, id -> new JsonObject().put("type", "sent").put("id", id));
    });
  }

  private void leave(JsonObject msg, Object ref) {
    String room = room(msg, ref);
    if (room == null) {
      return;
    }
    String name = rooms.remove(room);
    if (name != null) {
      roomEvents.left(this, room, name);
      if (subscriptions.remove("chat." + room)) {
        hub.unsubscribe(session, "chat." + room);
        session.policy("chat." + room, null);
        metrics.subscriptions(PulseMetrics.WS).decrementAndGet();
      }
    }
    reply(ref, new JsonObject().put("type", "left").put("room", room));
  }

  private void presence(JsonObject msg, Object ref) {
    String room = room(msg, ref);
    if (room != null && !denied(ref, auth.chatRight(identity), "see presence")) {
      presence.members(room).onComplete(ar -> {
        if (ar.succeeded()) {
          reply(ref, new JsonObject().put("type", "presence").put("room", room).put("members", ar.result()));
        } else {
          error(ref, "unavailable", "presence unavailable");
        }
      });
    }
  }

  /** Leaves every room and subscription: the connection is gone. Completes when the rooms know. */
  Future<Void> closed() {
    List<Future<Void>> leaves = new java.util.ArrayList<>();
    rooms.forEach((room, name) -> leaves.add(roomEvents.left(this, room, name)));
    rooms.clear();
    subscriptions.forEach(spec -> hub.unsubscribe(session, spec));
    metrics.subscriptions(PulseMetrics.WS).addAndGet(-subscriptions.size());
    subscriptions.clear();
    return Future.join(leaves).mapEmpty();
  }

  private void send(JsonObject body, Object ref, java.util.function.Function<String, JsonObject> ok) {
    vertx.eventBus().<JsonObject>request(Addresses.PUBLISH, body, Addresses.LOCAL).onComplete(ar -> {
      if (ar.succeeded()) {
        reply(ref, ok.apply(ar.result().body().getString("id")));
      } else if (ar.cause() instanceof ReplyException re && re.failureCode() == 400) {
        error(ref, "bad_request", re.getMessage());
      } else {
        error(ref, "unavailable", "publish failed, try again");
      }
    });
  }

  /** Answers an error for a refused right (401: no token, 403: not allowed); true when refused. */
  private boolean denied(Object ref, int right, String what) {
    if (right == 0) {
      return false;
    }
    metrics.refused(right == Auth.UNAUTHORIZED ? "unauthorized" : "forbidden");
    error(ref, right == Auth.UNAUTHORIZED ? "unauthorized" : "forbidden",
        (right == Auth.UNAUTHORIZED ? "a token is required to " : "the token does not allow you to ") + what);
    return true;
  }

  private String room(JsonObject msg, Object ref) {
    Object room = msg.getValue("room");
    if (!(room instanceof String r) || !ROOM.matcher(r).matches()) {
      badRequest(ref, "room must be 1-64 characters [A-Za-z0-9_-]");
      return null;
    }
    return r;
  }

  private void badRequest(Object ref, String message) {
    metrics.refused("bad_request");
    error(ref, "bad_request", message);
  }

  private void error(Object ref, String code, String message) {
    reply(ref, new JsonObject().put("type", "error").put("code", code).put("message", message));
  }

  private void reply(Object ref, JsonObject reply) {
    if (ref != null) {
      reply.put("ref", ref);
    }
    if (!session.isClosed() && !conn.closing()) {
      session.writeText(reply.encode());
    }
  }

  private static String string(JsonObject msg, String field) {
    return msg.getValue(field) instanceof String s ? s : null;
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 37) + "...";
  }
}
