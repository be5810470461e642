package io.pulse.http;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.pulse.auth.Identity;
import io.pulse.auth.Tokens;
import io.pulse.channel.Channels;
import io.pulse.conn.Connection;
import io.pulse.conn.Connections;
import io.pulse.conn.Disconnect;
import io.pulse.conn.Refusal;
import io.pulse.conn.ResumeToken;
import io.pulse.hub.SlowPolicy;
import io.pulse.metrics.PulseMetrics;
import io.pulse.net.SharedBuffers;
import io.pulse.net.VertxInternals;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /events?channel=…} (SPEC §3): parses the request, opens the stream, and frames what
 * the connection core ({@link Connections}) decides: admission, rights, policies, resuming from
 * {@code Last-Event-ID} / {@code lastEventId}, and the end of the stream.
 */
final class SseHandler implements Handler<RoutingContext> {

  private static final Logger LOG = LoggerFactory.getLogger(SseHandler.class);
  private static final AtomicBoolean WARNED = new AtomicBoolean();

  /** The event of a single-channel stream (its id is the message's), built once per message. */
  final SharedBuffers singleChannelEvents = new SharedBuffers(ByteBufAllocator.DEFAULT, SseSession::singleChannelEvent);

  /** A full node answers 200 with this much longer retry, so browsers come back later. */
  static final int FULL_RETRY_MS = 10_000;

  private final Connections connections;
  private final PulseMetrics metrics;
  private final int retryMs;

  SseHandler(Connections connections, PulseMetrics metrics) {
    this.connections = connections;
    this.metrics = metrics;
    this.retryMs = connections.config().sseRetryMs();
  }

  @Override
  public void handle(RoutingContext ctx) {
    List<String> specs = new ArrayList<>(new LinkedHashSet<>(ctx.queryParam("channel")));
    int max = connections.config().maxSubscriptionsPerConnection();
    String error = specs.isEmpty() ? "at least one channel parameter is required" : null;
    for (int i = 0; error == null && i < specs.size(); i++) {
      error = Channels.subscriptionError(specs.get(i));
    }
    if (error == null && specs.size() > max) {
      error = "at most " + max + " channels per stream (limits.maxSubscriptionsPerConnection)";
    }
    List<String> asked = ctx.queryParam("policy");
    if (error == null && new HashSet<>(asked).size() > 1) {
      error = "policy must be given at most once (it applies to every channel of the stream)";
    }
    if (error != null) {
      HttpErrors.send(ctx, connections.refused(Refusal.badRequest(error)));
      return;
    }
    Map<String, SlowPolicy> policies = new LinkedHashMap<>();
    try {
      specs.forEach(spec -> policies.put(spec, connections.policy(spec, asked.isEmpty() ? null : asked.get(0))));
    } catch (Refusal r) {
      HttpErrors.send(ctx, r);
      return;
    }
    Refusal origin = connections.checkOrigin(ctx.request().getHeader("Origin"));
    if (origin != null) {
      HttpErrors.send(ctx, origin);
      return;
    }
    connections.authenticate(Tokens.from(ctx.request())).onComplete(ar -> {
      if (ar.failed()) {
        HttpErrors.send(ctx, ar.cause());
        return;
      }
      for (String spec : specs) {
        Refusal denied = connections.checkSubscription(ar.result(), spec);
        if (denied != null) {
          HttpErrors.send(ctx, denied);
          return;
        }
      }
      start(ctx, policies, ar.result());
    });
  }

  private void start(RoutingContext ctx, Map<String, SlowPolicy> policies, Identity identity) {
    HttpServerResponse res = ctx.response().setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no")
        .putHeader("Connection", "close"); // one stream per connection: closed when the stream ends
    Refusal full = connections.checkDraining();
    if (full == null) {
      full = connections.acquire();
    }
    if (full != null) {
      // Not an error status: that would stop EventSource for good. Retry later instead (SPEC §3).
      int retry = FULL_RETRY_MS + ThreadLocalRandom.current().nextInt(FULL_RETRY_MS / 2);
      res.end("retry: " + retry + "\n: node " + ("draining".equals(full.reason) ? "shutting down" : "at capacity")
          + ", retry later\n\n");
      return;
    }
    List<String> specs = List.copyOf(policies.keySet());
    String single = specs.size() == 1 && !Channels.isPattern(specs.get(0)) ? specs.get(0) : null;
    ChannelHandlerContext channel = VertxInternals.context(ctx.request().connection());
    SseSession session = new SseSession(res, channel, single, connections.config().sendQueueBytes(),
        connections.config().slowPolicies().defaultPolicy(), connections.sessionListener(), singleChannelEvents);
    metrics.sseStreamOpened(session.writesDirectly());
    if (!session.writesDirectly() && WARNED.compareAndSet(false, true)) {
      // The port is HTTP/1.1 only: this means Vert.x's internals changed (pulse_sse_streams_total{writes}).
      LOG.warn("SSE streams are written through Vert.x's response, not straight to Netty (more CPU per event):"
          + " the connection's Netty context or HTTP encoder was not found");
    }
    Connection c = connections.open(identity, session, session);
    res.closeHandler(v -> c.closed("client_closed"));
    res.exceptionHandler(err -> c.closed(clientWentAway(err) ? "client_closed" : "error"));
    res.write("retry: " + retryMs + "\n: connected\n\n");
    String lastId = ctx.request().getHeader("Last-Event-ID");
    if (lastId == null) {
      lastId = ctx.request().getParam("lastEventId");
    }
    c.subscribeAll(policies, ResumeToken.positions(specs, lastId), true, subscribed -> Future.succeededFuture());
  }

  /** A closed connection, a reset HTTP/2 stream (the client cancelled it), or a socket error. */
  private static boolean clientWentAway(Throwable err) {
    return err instanceof io.vertx.core.http.HttpClosedException
        || err instanceof io.vertx.core.http.StreamResetException
        || err instanceof java.io.IOException;
  }

  /** Writes the keep-alive comment to every stream. */
  void pingAll() {
    for (Connection c : connections.all()) {
      ((SseSession) c.session()).ping();
    }
  }

  /** Ends every stream cleanly (node shutdown): browsers reconnect, elsewhere, with their id. */
  void endAll() {
    connections.closeAll(Disconnect.SHUTDOWN);
  }
}
