package io.pulse.http;

import io.pulse.auth.Auth;
import io.pulse.channel.Channels;
import io.pulse.history.History;
import io.pulse.history.History.Replay;
import io.pulse.hub.Hub;
import io.pulse.messages.Envelope;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/channels/{channel}/history?since=<id>&limit=<n>&wait=<s>} (SPEC §5, §7):
 * {@code {"channel","messages":[envelopes],"recovered"}}, the latest {@code limit} messages or
 * those after {@code since}. With {@code wait} (at most {@value #MAX_WAIT_SECONDS} s) the request
 * is held until there is one ({@link LongPoll}). Needs the subscribe right; a bad channel or
 * parameter 400; history unreadable 503.
 */
final class HistoryApi {

  private static final Logger LOG = LoggerFactory.getLogger(HistoryApi.class);
  static final int MAX_WAIT_SECONDS = 30;

  private final Vertx vertx;
  private final Hub hub;
  private final History history;
  private final Auth auth;
  private final ApiGuard guard;
  private final int historySize;

  HistoryApi(Vertx vertx, Hub hub, History history, Auth auth, ApiGuard guard, int historySize) {
    this.vertx = vertx;
    this.hub = hub;
    this.history = history;
    this.auth = auth;
    this.guard = guard;
    this.historySize = historySize;
  }

  void mount(Router router) {
    router.get("/api/channels/:channel/history").handler(this::history);
  }

  private void history(RoutingContext ctx) {
    String channel = ctx.pathParam("channel");
    String err = Channels.channelError(channel);
    int limit;
    int wait;
    try {
      limit = intParam(ctx, "limit", historySize, 1, historySize);
      wait = intParam(ctx, "wait", 0, 0, MAX_WAIT_SECONDS);
    } catch (IllegalArgumentException e) {
      err = e.getMessage();
      limit = wait = 0;
    }
    if (err != null) {
      guard.badRequest(ctx, err);
      return;
    }
    int max = limit;
    int seconds = wait;
    guard.authorized(ctx, id -> auth.subscribeRight(id, channel), () -> read(ctx, channel, max, seconds));
  }

  private void read(RoutingContext ctx, String channel, int limit, int wait) {
    String since = ctx.request().getParam("since");
    Future<Replay> replay = since == null ? history.latest(channel, limit)
        : wait == 0 ? history.since(channel, Envelope.seqOf(since), limit)
        : LongPoll.messagesAfter(vertx, hub, history, ctx.response(), channel, Envelope.seqOf(since), limit, wait);
    replay.onSuccess(r -> respond(ctx, channel, r)).onFailure(e -> unavailable(ctx, e));
  }

  private static void respond(RoutingContext ctx, String channel, Replay r) {
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

  private static void unavailable(RoutingContext ctx, Throwable err) {
    LOG.warn("history read failed: {}", err.toString());
    HttpErrors.send(ctx, 503, "history unavailable");
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
}
