package io.pulse.http;

import io.pulse.messages.Addresses;
import io.pulse.auth.Auth;
import io.pulse.auth.Identity;
import io.pulse.auth.Tokens;
import io.pulse.channel.Channels;
import io.pulse.chat.Presence;
import io.pulse.config.PulseConfig;
import io.pulse.conn.Connections;
import io.pulse.history.History;
import io.pulse.history.History.Replay;
import io.pulse.messages.Delivery;
import io.pulse.hub.Hub;
import io.pulse.hub.Session;
import io.pulse.messages.Envelope;
import io.pulse.metrics.PulseMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** The JSON HTTP API of SPEC §5, apart from {@code /events}. */
final class ApiHandlers {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ApiHandlers.class);
  static final int MAX_WAIT_SECONDS = 30;

  private final Vertx vertx;
  private final PulseConfig cfg;
  private final Auth auth;
  private final Hub hub;
  private final History history;
  private final Presence presence;
  private final PulseMetrics metrics;
  private final io.pulse.conn.NodeState node;
  private final Connections connections;

  ApiHandlers(Vertx vertx, PulseConfig cfg, Auth auth, Hub hub, History history, Presence presence, PulseMetrics metrics,
      Connections connections) {
    this.connections = connections;
    this.vertx = vertx;
    this.cfg = cfg;
    this.auth = auth;
    this.hub = hub;
    this.history = history;
    this.presence = presence;
    this.metrics = metrics;
    this.node = io.pulse.conn.NodeState.of(vertx);
  }

  /** {@code GET /api/rooms/{room}/presence}: who is in a chat room, cluster-wide. */
  void presence(RoutingContext ctx) {
    String room = ctx.pathParam("room");
    if (room == null || !room.matches("[A-Za-z0-9_-]{1,64}")) {
      metrics.refused("bad_request");
      HttpErrors.send(ctx, 400, "room must be 1-64 characters [A-Za-z0-9_-]");
      return;
    }
    authorized(ctx, id -> auth.chatRight(id), () -> presence.members(room)
        .onSuccess(members -> ctx.json(new JsonObject().put("room", room).put("members", members)))
        .onFailure(err -> HttpErrors.send(ctx, 503, "presence unavailable")));
  }

  /** {@code POST /api/publish}: 202 {@code {"id"}} once the message is in the history and on the bus. */
  void publish(RoutingContext ctx) {
    JsonObject body;
    try {
      body = ctx.body().asJsonObject();
    } catch (DecodeException | ClassCastException e) {
      metrics.refused("bad_request");
      HttpErrors.send(ctx, 400, "body must be a JSON object {channel, event, data}");
      return;
    }
    if (body == null) {
      metrics.refused("bad_request");
      HttpErrors.send(ctx, 400, "body must be a JSON object {channel, event, data}");
      return;
    }
    // The core checks the right and sets from to the token's subject, whatever the body says.
    authenticated(ctx, id -> connections.publish(id, body)
        .onSuccess(messageId -> ctx.response().setStatusCode(202)
            .putHeader("Content-Type", "application/json; charset=utf-8")
            .end(new JsonObject().put("id", messageId).encode()))
        .onFailure(err -> HttpErrors.send(ctx, err)));
  }

  /** {@code GET /api/channels/{channel}/history?since=&limit=&wait=}. */
  void history(RoutingContext ctx) {
    String channel = ctx.pathParam("channel");
    String err = Channels.channelError(channel);
    int limit;
    int wait;
    try {
      limit = intParam(ctx, "limit", cfg.historySize(), 1, cfg.historySize());
      wait = intParam(ctx, "wait", 0, 0, MAX_WAIT_SECONDS);
    } catch (IllegalArgumentException e) {
      err = e.getMessage();
      limit = wait = 0;
    }
    if (err != null) {
      metrics.refused("bad_request");
      HttpErrors.send(ctx, 400, err);
      return;
    }
    int max0 = limit;
    int wait0 = wait;
    authorized(ctx, id -> auth.subscribeRight(id, channel), () -> readHistory(ctx, channel, max0, wait0));
  }

  private void readHistory(RoutingContext ctx, String channel, int limit, int wait) {
    String sinceParam = ctx.request().getParam("since");
    if (sinceParam == null) {
      history.latest(channel, limit)
          .onSuccess(r -> respond(ctx, channel, r))
          .onFailure(e -> unavailable(ctx, e));
      return;
    }
    long since = Envelope.seqOf(sinceParam);
    int max = limit;
    if (wait == 0) {
      history.since(channel, since, max)
          .onSuccess(r -> respond(ctx, channel, r))
          .onFailure(e -> unavailable(ctx, e));
      return;
    }
    longPoll(ctx, channel, since, max, wait);
  }

  /**
   * Holds the request until a message after {@code since} exists or {@code wait} seconds pass.
   * The waiter joins the hub first, then reads, so a message published in between is not missed.
   */
  private void longPoll(RoutingContext ctx, String channel, long since, int limit, int wait) {
    Waiter waiter = new Waiter();
    Runnable done = () -> hub.unsubscribe(waiter, channel);
    ctx.response().closeHandler(v -> {
      waiter.markClosed();
      done.run();
    });
    hub.subscribe(waiter, channel)
        .compose(v -> history.since(channel, since, limit))
        .compose(first -> {
          if (!first.messages().isEmpty() || !first.recovered()) {
            return Future.succeededFuture(first);
          }
          long timer = vertx.setTimer(wait * 1000L, t -> waiter.arrived.tryComplete());
          return waiter.arrived.future()
              .compose(v -> {
                vertx.cancelTimer(timer);
                return history.since(channel, since, limit);
              });
        })
        .onComplete(ar -> {
          done.run();
          if (ar.succeeded()) {
            respond(ctx, channel, ar.result());
          } else {
            unavailable(ctx, ar.cause());
          }
        });
  }

  private static void unavailable(RoutingContext ctx, Throwable err) {
    LOG.warn("history read failed: {}", err.toString());
    HttpErrors.send(ctx, 503, "history unavailable");
  }

  private void respond(RoutingContext ctx, String channel, Replay r) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    StringBuilder sb = new StringBuilder(256).append("{\"channel\":\"").append(channel).append("\",\"messages\":[");
    for (int i = 0; i < r.messages().size(); i++) {
      sb.append(i == 0 ? "" : ",").append(r.messages().get(i).envelope());
    }
    sb.append("],\"recovered\":").append(r.recovered()).append('}');
    ctx.response().putHeader("Content-Type", "application/json; charset=utf-8").end(sb.toString());
  }

  /** {@code POST /api/token} {@code {"name":"ann"}} (dev mode only): a signed token to try the token flows. */
  void token(RoutingContext ctx) {
    if (!auth.devMode()) {
      HttpErrors.send(ctx, 404, "tokens are minted only in auth.mode dev; in jwt mode they come from your identity provider");
      return;
    }
    Object name;
    try {
      JsonObject body = ctx.body().asJsonObject();
      name = body == null ? null : body.getValue("name");
    } catch (DecodeException | ClassCastException e) {
      name = null;
    }
    if (!(name instanceof String n) || n.isBlank() || n.length() > 64) {
      metrics.refused("bad_request");
      HttpErrors.send(ctx, 400, "body must be {\"name\": a string of 1-64 characters}");
      return;
    }
    ctx.json(new JsonObject().put("token", auth.mint(n.trim())));
  }

  /**
   * {@code POST /api/revoke} {@code {"sub"}}: revokes a subject's tokens cluster-wide (security.md,
   * "Revoking tokens"), for backends that are not on the event bus. Needs the header
   * {@code X-API-Key: <auth.apiKey>}; without a configured key the endpoint does not exist (404),
   * except in dev mode, where anyone may call it.
   */
  void revoke(RoutingContext ctx) {
    String key = cfg.apiKey();
    if (key.isEmpty() && !auth.devMode()) {
      HttpErrors.send(ctx, 404, "revocation over HTTP needs auth.apiKey (or use the event-bus address pulse.revoke)");
      return;
    }
    if (!key.isEmpty() && !constantTimeEquals(key, ctx.request().getHeader("X-API-Key"))) {
      deny(ctx, 401, "the X-API-Key header must carry auth.apiKey");
      return;
    }
    JsonObject body;
    try {
      body = ctx.body().asJsonObject();
    } catch (DecodeException | ClassCastException e) {
      body = null;
    }
    if (body == null) {
      metrics.refused("bad_request");
      HttpErrors.send(ctx, 400, "body must be {\"sub\": <a token subject>}");
      return;
    }
    vertx.eventBus().<JsonObject>request(Addresses.REVOKE, new JsonObject().put("sub", body.getValue("sub")),
            Addresses.LOCAL)
        .onSuccess(reply -> ctx.json(reply.body()))
        .onFailure(err -> HttpErrors.send(ctx,
            err instanceof ReplyException re && re.failureCode() == 400 ? 400 : 503, err.getMessage()));
  }

  private static boolean constantTimeEquals(String expected, String given) {
    return given != null
        && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8));
  }

  /** Runs {@code then} with the request's identity, or answers 401 for a bad token. */
  private void authenticated(RoutingContext ctx, java.util.function.Consumer<Identity> then) {
    auth.authenticate(Tokens.from(ctx.request())).onComplete(ar -> {
      if (ar.failed()) {
        deny(ctx, 401, ar.cause().getMessage());
      } else {
        then.accept(ar.result());
      }
    });
  }

  /** Runs {@code then} when {@code right} (0, 401 or 403) allows the request's identity. */
  private void authorized(RoutingContext ctx, java.util.function.ToIntFunction<Identity> right, Runnable then) {
    authenticated(ctx, id -> {
      int denied = right.applyAsInt(id);
      if (denied == 0) {
        then.run();
      } else {
        deny(ctx, denied, denied == 401 ? "a token is required" : "the token does not allow this");
      }
    });
  }

  private void deny(RoutingContext ctx, int status, String message) {
    metrics.refused(status == 401 ? "unauthorized" : "forbidden");
    HttpErrors.send(ctx, status, message);
  }

  /** {@code GET /api/cluster}: the cluster view kept by this node's cluster verticle. */
  void cluster(RoutingContext ctx) {
    vertx.eventBus().<JsonObject>request(Addresses.CLUSTER_VIEW, null, Addresses.LOCAL)
        .onSuccess(reply -> ctx.json(reply.body()))
        .onFailure(err -> HttpErrors.send(ctx, 503, "cluster view unavailable"));
  }

  /** {@code GET /api/config}: what the page needs to connect. */
  void config(RoutingContext ctx) {
    String host = ctx.request().authority() != null ? ctx.request().authority().host() : "localhost";
    if (host.contains(":") && !host.startsWith("[")) {
      host = "[" + host + "]";
    }
    ctx.json(new JsonObject()
        .put("wsUrl", "ws://" + host + ":" + (node.wsPort() > 0 ? node.wsPort() : cfg.wsPort()) + cfg.wsPath())
        .put("authMode", cfg.authMode())
        .put("historySize", cfg.historySize()));
  }

  private static int intParam(RoutingContext ctx, String name, int def, int min, int max) {
    String raw = ctx.request().getParam(name);
    if (raw == null) {
      return def;
    }
    try {
      int v = Integer.parseInt(raw);
      if (v >= min && v <= max) {
        return v;
      }
    } catch (NumberFormatException ignored) {
      // falls through to the error
    }
    throw new IllegalArgumentException(name + " must be an integer between " + min + " and " + max);
  }

  /** A hub session that only notices that a message arrived. */
  private static final class Waiter extends Session {
    final Promise<Void> arrived = Promise.promise();

    Waiter() {
      super(Long.MAX_VALUE, true);
    }

    @Override
    protected void write(Delivery d) {
      arrived.tryComplete();
    }

    @Override
    protected void closeSlow() {
    }

    @Override
    protected Listener listener() {
      return NO_METRICS;
    }

    private static final Listener NO_METRICS = new Listener() {
      @Override
      public void delivered(Delivery d) {
      }

      @Override
      public void dropped(Delivery d, String reason) {
      }
    };
  }
}
