package io.pulse.http;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.pulse.auth.Auth;
import io.pulse.auth.Identity;
import io.pulse.auth.Tokens;
import io.pulse.channel.Channels;
import io.pulse.config.PulseConfig;
import io.pulse.history.History;
import io.pulse.hub.Delivery;
import io.pulse.hub.Hub;
import io.pulse.hub.Session;
import io.pulse.hub.SlowPolicy;
import io.pulse.messages.Envelope;
import io.pulse.metrics.PulseMetrics;
import io.pulse.net.SharedBuffers;
import io.pulse.node.NodeState;
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
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /events?channel=…} (SPEC §3): validates, opens the stream, resumes from
 * {@code Last-Event-ID} / {@code lastEventId}, then hands the session to the hub.
 */
final class SseHandler implements Handler<RoutingContext> {

  /** The event of a single-channel stream (its id is the message's), built once per message. */
  final SharedBuffers singleChannelEvents = new SharedBuffers(ByteBufAllocator.DEFAULT, SseSession::singleChannelEvent);

  private static final Logger LOG = LoggerFactory.getLogger(SseHandler.class);
  /** A full node answers 200 with this much longer retry, so browsers come back later. */
  static final int FULL_RETRY_MS = 10_000;

  private final PulseConfig cfg;
  private final Auth auth;
  private final Hub hub;
  private final History history;
  private final PulseMetrics metrics;
  private final NodeState node;
  private final Origins origins;
  private final Runnable onChange;
  private final Set<SseSession> sessions = new HashSet<>();
  private final Session.Listener listener;

  SseHandler(PulseConfig cfg, Auth auth, Hub hub, History history, PulseMetrics metrics, NodeState node,
      Origins origins, Runnable onChange) {
    this.cfg = cfg;
    this.auth = auth;
    this.hub = hub;
    this.history = history;
    this.metrics = metrics;
    this.node = node;
    this.origins = origins;
    this.onChange = onChange;
    this.listener = metrics.sessionListener(PulseMetrics.SSE);
  }

  @Override
  public void handle(RoutingContext ctx) {
    List<String> specs = new ArrayList<>(new LinkedHashSet<>(ctx.queryParam("channel")));
    String error = specs.isEmpty() ? "at least one channel parameter is required" : null;
    for (int i = 0; error == null && i < specs.size(); i++) {
      error = Channels.subscriptionError(specs.get(i));
    }
    if (error == null && specs.size() > cfg.maxSubscriptionsPerConnection()) {
      error = "at most " + cfg.maxSubscriptionsPerConnection() + " channels per stream (limits.maxSubscriptionsPerConnection)";
    }
    Map<String, SlowPolicy> policies = new LinkedHashMap<>();
    List<String> asked = ctx.queryParam("policy");
    if (error == null && new HashSet<>(asked).size() > 1) {
      error = "policy must be given at most once (it applies to every channel of the stream)";
    }
    for (int i = 0; error == null && i < specs.size(); i++) {
      try {
        policies.put(specs.get(i), cfg.slowPolicies().resolve(specs.get(i), asked.isEmpty() ? null : asked.get(0)));
      } catch (IllegalArgumentException e) {
        error = e.getMessage();
      }
    }
    if (error != null) {
      metrics.refused("bad_request");
      HttpErrors.send(ctx, 400, error);
      return;
    }
    if (!origins.allows(ctx.request().getHeader("Origin"))) {
      metrics.refused("origin");
      HttpErrors.send(ctx, 403, "Origin not allowed");
      return;
    }
    auth.authenticate(Tokens.from(ctx.request())).onComplete(ar -> {
      if (ar.failed()) {
        metrics.refused("unauthorized");
        HttpErrors.send(ctx, 401, ar.cause().getMessage());
        return;
      }
      for (String spec : specs) {
        int denied = auth.subscribeRight(ar.result(), spec);
        if (denied != 0) {
          metrics.refused(denied == 401 ? "unauthorized" : "forbidden");
          HttpErrors.send(ctx, denied, (denied == 401 ? "a token is required to subscribe to " : "the token may not subscribe to ")
              + spec);
          return;
        }
      }
      start(ctx, specs, policies, ar.result());
    });
  }

  /** The Netty context of the request's HTTP/1.1 connection (Vert.x internals), or null. */
  private static ChannelHandlerContext channel(RoutingContext ctx) {
    return ctx.request().connection() instanceof io.vertx.core.http.impl.HttpServerConnection c
        ? c.channelHandlerContext() : null;
  }

  private void start(RoutingContext ctx, List<String> specs, Map<String, SlowPolicy> policies, Identity identity) {
    HttpServerResponse res = ctx.response().setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no")
        .putHeader("Connection", "close"); // one stream per connection: closed when the stream ends
    if (node.draining() || !node.tryAcquire()) {
      // Not an error status: that would stop EventSource for good. Retry later instead (SPEC §3).
      metrics.refused(node.draining() ? "draining" : "max_connections");
      int retry = FULL_RETRY_MS + ThreadLocalRandom.current().nextInt(FULL_RETRY_MS / 2);
      res.end("retry: " + retry + "\n: node " + (node.draining() ? "shutting down" : "at capacity") + ", retry later\n\n");
      return;
    }
    String single = specs.size() == 1 && !Channels.isPattern(specs.get(0)) ? specs.get(0) : null;
    SseSession session = new SseSession(res, channel(ctx), List.copyOf(specs), single, cfg.sendQueueBytes(),
        cfg.slowPolicies().defaultPolicy(), listener, singleChannelEvents);
    policies.forEach(session::policy);
    session.identity = identity;
    open(session, ctx);
    if (identity.expiresAtMs() > 0) {
      // The stream ends when its token expires; the client reconnects with a fresh one.
      long timer = ctx.vertx().setTimer(Math.max(1, identity.expiresAtMs() - System.currentTimeMillis()), t -> {
        close(session, "token_expired");
        session.end();
      });
      session.cancelExpiry = () -> ctx.vertx().cancelTimer(timer);
    }
  }

  private void open(SseSession session, RoutingContext ctx) {
    HttpServerResponse res = session.response;
    res.closeHandler(v -> close(session, "client_closed"));
    session.onSlow = () -> {
      close(session, "slow_consumer");
      res.reset(); // closes the connection: its queued bytes are dropped with it
    };
    res.exceptionHandler(err -> close(session, clientWentAway(err) ? "client_closed" : "error"));
    res.write("retry: " + cfg.sseRetryMs() + "\n: connected\n\n");
    sessions.add(session);
    metrics.connections(PulseMetrics.SSE).incrementAndGet();
    metrics.subscriptions(PulseMetrics.SSE).addAndGet(session.specs.size());
    onChange.run();

    String lastId = ctx.request().getHeader("Last-Event-ID");
    if (lastId == null) {
      lastId = ctx.request().getParam("lastEventId");
    }
    Map<String, Long> wanted = resumePositions(lastId, session);
    session.beginRecovery();
    List<Future<Void>> ready = new ArrayList<>();
    for (String spec : session.specs) {
      ready.add(hub.subscribe(session, spec));
    }
    Future.all(ready)
        .compose(v -> history.sinceAll(wanted, Integer.MAX_VALUE))
        .onSuccess(replays -> {
          List<Delivery> out = new ArrayList<>();
          replays.forEach((channel, r) -> {
            if (r.recovered()) {
              out.addAll(r.messages());
            } else {
              session.forget(channel);
              long pos = Math.max(r.position(), -1);
              out.add(new Delivery(channel, pos, System.currentTimeMillis(),
                  Envelope.reset(channel, pos, "the id is no longer in the replay window, or unknown")));
            }
          });
          session.endRecovery(out);
        })
        .onFailure(err -> {
          LOG.warn("resume failed, streaming live only: {}", err.toString());
          session.endRecovery(List.of());
        });
  }

  /** A closed connection, a reset HTTP/2 stream (the client cancelled it), or a socket error. */
  private static boolean clientWentAway(Throwable err) {
    return err instanceof io.vertx.core.http.HttpClosedException
        || err instanceof io.vertx.core.http.StreamResetException
        || err instanceof java.io.IOException;
  }

  /** The channels to resume and their positions; a malformed token resets every single channel. */
  private Map<String, Long> resumePositions(String lastId, SseSession session) {
    if (lastId == null || lastId.isBlank()) {
      return Map.of();
    }
    String single = session.specs.size() == 1 && !Channels.isPattern(session.specs.get(0)) ? session.specs.get(0) : null;
    Map<String, Long> decoded = ResumeToken.decode(lastId, single);
    Map<String, Long> wanted = new LinkedHashMap<>();
    if (decoded == null) {
      for (String spec : session.specs) {
        if (!Channels.isPattern(spec)) {
          wanted.put(spec, -2L); // unknown id: the reset tells the client where the channel is
        }
      }
      return wanted;
    }
    decoded.forEach((channel, seq) -> {
      if (session.specs.stream().anyMatch(spec -> Channels.matches(spec, channel))) {
        wanted.put(channel, seq);
      }
    });
    wanted.forEach((channel, seq) -> {
      if (seq >= -1) {
        session.seed(channel, seq);
      }
    });
    return wanted;
  }

  private void close(SseSession session, String reason) {
    if (!sessions.remove(session)) {
      return;
    }
    session.markClosed();
    session.cancelExpiry.run();
    session.specs.forEach(spec -> hub.unsubscribe(session, spec));
    node.release();
    metrics.connections(PulseMetrics.SSE).decrementAndGet();
    metrics.subscriptions(PulseMetrics.SSE).addAndGet(-session.specs.size());
    metrics.disconnected(PulseMetrics.SSE, reason);
    onChange.run();
  }

  /** Ends the streams opened with {@code sub}'s tokens issued up to {@code revokedAtMs}. */
  void revoked(String sub, long revokedAtMs) {
    for (SseSession s : List.copyOf(sessions)) {
      if (s.identity.revokedBy(sub, revokedAtMs)) {
        close(s, "revoked");
        s.end();
      }
    }
  }

  /** Writes the keep-alive comment to every stream. */
  void pingAll() {
    sessions.forEach(SseSession::ping);
  }

  /** Ends every stream cleanly (node shutdown): browsers reconnect, elsewhere, with their id. */
  void endAll() {
    endAll("shutdown");
  }

  /** Ends every stream cleanly, counted under {@code reason}: browsers reconnect with their id. */
  void endAll(String reason) {
    for (SseSession s : List.copyOf(sessions)) {
      close(s, reason);
      s.end();
    }
  }

  int count() {
    return sessions.size();
  }

  int subscriptionCount() {
    return sessions.stream().mapToInt(s -> s.specs.size()).sum();
  }
}
