package io.pulse.conn;

import io.pulse.auth.Identity;
import io.pulse.channel.Channels;
import io.pulse.history.History.Replay;
import io.pulse.messages.Delivery;
import io.pulse.hub.Session;
import io.pulse.hub.SlowPolicy;
import io.pulse.messages.Envelope;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection, whatever its transport: who it is (and until when), what it is
 * subscribed to and under which slow-consumer policy, how fast it may send, and what it may
 * publish. Its transport parses what the client sends, calls in here, and frames the answers;
 * deliveries reach the client through the transport's {@link Session}.
 *
 * <p>Created by {@link Connections#open}; ended by {@link #close} (the server decides) or
 * {@link #closed} (the transport saw its socket go). Not thread-safe: lives on its event loop.
 */
public final class Connection {

  private static final Logger LOG = LoggerFactory.getLogger(Connection.class);
  /** Refusals in a row (rate limit) after which the connection is closed with 1008. */
  public static final int ABUSE_LIMIT = 50;

  /**
   * A subscription made: whether all that was missed since the client's position is replayed
   * ({@code false} without a position), and its slow-consumer policy (null for several at once).
   */
  public record Subscribed(boolean recovered, SlowPolicy policy) {
  }

  private final Connections home;
  final Transport transport;
  private final Session session;
  private final Set<String> subscriptions = new LinkedHashSet<>();
  private final RateLimiter limiter;
  private Identity identity;
  private long expiryTimer = -1;
  private boolean released;

  Connection(Connections home, Identity identity, Session session, Transport transport) {
    this.home = home;
    this.identity = identity;
    this.session = session;
    this.transport = transport;
    this.limiter = new RateLimiter(home.limits.inboundPerSecond(), home.limits.inboundBurst(), System.nanoTime());
    session.onSlow(() -> close(Disconnect.SLOW_CONSUMER));
  }

  /** Who this connection is: the token it runs on now. */
  public Identity identity() {
    return identity;
  }

  public Session session() {
    return session;
  }

  /** Its channels and patterns, in the order subscribed (a live, read-only view). */
  public Set<String> subscriptions() {
    return Collections.unmodifiableSet(subscriptions);
  }

  /** False once closed, by either side. */
  public boolean isOpen() {
    return !released;
  }

  /** Ends the connection for {@code why}: the core lets go of it, then its transport closes. */
  public void close(Disconnect why) {
    home.close(this, why);
  }

  /** The transport's socket is gone ({@code reason}: the metrics label, e.g. {@code client_closed}). */
  public void closed(String reason) {
    home.closed(this, reason);
  }

  // ---- inbound ----

  /**
   * Counts one message from the client against {@code limits.inboundPerSecond}/{@code inboundBurst}:
   * null when it may be handled, else its refusal ({@link Refusal#tell} false when the client was
   * told recently). After {@link #ABUSE_LIMIT} refusals in a row the connection is closed (1008) and
   * the refusal is not to be answered.
   */
  public Refusal inbound() {
    if (limiter.tryAcquire(System.nanoTime())) {
      return null;
    }
    int n = limiter.refusedInARow();
    Refusal r = home.refused(new Refusal(429, "rate_limited",
        "over limits.inboundPerSecond (" + home.limits.inboundPerSecond() + "/s); slow down", "rate_limited",
        n == 1 || n % 10 == 0));
    if (n >= ABUSE_LIMIT) {
      close(Disconnect.ABUSE);
    }
    return r;
  }

  // ---- subscriptions ----

  /**
   * Subscribes to {@code spec}, resuming after {@code since} (an envelope id for a channel, a
   * {@code channel:id,…} token for a pattern, or null) under the slow-consumer policy
   * {@code policyName} (null: the configured one). Fails with a {@link Refusal}, and nothing changes.
   * With {@code resets}, a channel that cannot be resumed gets a {@code reset} envelope.
   * On success {@code answer} runs with what was subscribed, before
   * anything of the subscription is written (a transport answers the client there); the replay and
   * the live messages follow once the future it returns completes.
   */
  public Future<Subscribed> subscribe(String spec, String since, String policyName, boolean resets,
      Function<Subscribed, Future<?>> answer) {
    Refusal r = home.checkSubscription(identity, spec);
    SlowPolicy policy;
    try {
      policy = r == null ? home.policy(spec, policyName) : null;
    } catch (Refusal refusal) {
      r = refusal;
      policy = null;
    }
    if (r == null && !subscriptions.contains(spec) && subscriptions.size() >= home.limits.maxSubscriptionsPerConnection()) {
      r = home.refused(new Refusal(400, "bad_request", "at most " + home.limits.maxSubscriptionsPerConnection()
          + " subscriptions per connection (limits.maxSubscriptionsPerConnection)", "max_subscriptions"));
    }
    if (r != null) {
      return Future.failedFuture(r);
    }
    return subscribeAll(Map.of(spec, policy), ResumeToken.positions(List.of(spec), since), resets, answer);
  }

  /**
   * Subscribes to every spec of {@code policies} at once, already checked
   * ({@link Connections#checkSubscription}, {@link Connections#policy}), resuming each channel of
   * {@code resume} after its sequence (-2: unknown, so reset). With {@code resets}, a channel that
   * cannot be resumed gets a {@code reset} envelope telling where it is (SSE); else the answer's
   * flag says so (WebSocket, bridge).
   */
  public Future<Subscribed> subscribeAll(Map<String, SlowPolicy> policies, Map<String, Long> resume, boolean resets,
      Function<Subscribed, Future<?>> answer) {
    resume.forEach((channel, seq) -> {
      if (seq >= -1) {
        session.seed(channel, seq);
      }
    });
    return attach(policies, resume, resets, answer);
  }

  private Future<Subscribed> attach(Map<String, SlowPolicy> policies, Map<String, Long> wanted, boolean resets,
      Function<Subscribed, Future<?>> answer) {
    if (released) {
      return Future.failedFuture(Refusal.unavailable("the connection is closed")); // nothing may reach the hub
    }
    List<Future<Void>> ready = new ArrayList<>(policies.size());
    policies.forEach((spec, policy) -> {
      if (subscriptions.add(spec)) {
        home.metrics.subscriptions(home.transport).incrementAndGet();
      }
      session.policy(spec, policy);
    });
    session.beginRecovery();
    policies.keySet().forEach(spec -> ready.add(home.hub.subscribe(session, spec)));
    return Future.all(ready)
        .compose(v -> home.replays.since(wanted))
        .transform(ar -> {
          if (ar.failed()) {
            LOG.warn("resume failed, live messages only: {}", ar.cause().toString());
          }
          boolean recovered = ar.succeeded() && !wanted.isEmpty()
              && ar.result().values().stream().allMatch(Replay::recovered);
          List<Delivery> out = ar.succeeded() ? replayed(ar.result(), resets) : List.of();
          Subscribed done = new Subscribed(recovered, policies.size() == 1 ? policies.values().iterator().next() : null);
          Future<?> answered;
          try {
            answered = answer.apply(done);
          } catch (RuntimeException e) {
            LOG.error("answering a subscription failed", e);
            answered = Future.succeededFuture();
          }
          return answered.transform(x -> {
            session.endRecovery(out);
            return Future.succeededFuture(done);
          });
        });
  }

  private List<Delivery> replayed(Map<String, Replay> replays, boolean resets) {
    List<Delivery> out = new ArrayList<>();
    replays.forEach((channel, r) -> {
      if (r.recovered()) {
        out.addAll(r.messages());
      } else if (resets) {
        session.forget(channel);
        long pos = Math.max(r.position(), -1);
        out.add(new Delivery(channel, pos, System.currentTimeMillis(),
            Envelope.reset(channel, pos, "the id is no longer in the replay window, or unknown")));
      }
    });
    return out;
  }

  /** Leaves {@code spec}; false if the connection did not hold it. */
  public boolean unsubscribe(String spec) {
    if (!subscriptions.remove(spec)) {
      return false;
    }
    home.hub.unsubscribe(session, spec);
    session.policy(spec, null);
    home.metrics.subscriptions(home.transport).decrementAndGet();
    return true;
  }

  // ---- identity ----

  /**
   * A new token for this connection, before the current one expires: same subject, new expiry and
   * rights. Completes with the subscriptions the new rights no longer cover, which are left. A bad
   * token changes nothing: fails with a {@link Refusal}, and the connection keeps its token.
   */
  public Future<List<String>> refresh(String token) {
    if (token == null || token.isBlank()) {
      return Future.failedFuture(home.refused(Refusal.badRequest("token must be a non-empty string")));
    }
    if (identity.anonymous()) {
      return Future.failedFuture(home.refused(new Refusal(403, "forbidden",
          "this connection was opened without a token; reconnect with ?token= instead", "forbidden")));
    }
    return home.auth.authenticate(token).transform(ar -> {
      if (released) {
        return Future.failedFuture(Refusal.unavailable("the connection is closed"));
      }
      if (ar.failed()) {
        return Future.failedFuture(home.refused(new Refusal(401, "unauthorized",
            "invalid or expired token; the connection keeps its current one", "unauthorized")));
      }
      Identity next = ar.result();
      if (!identity.subject().equals(next.subject())) {
        return Future.failedFuture(home.refused(new Refusal(403, "forbidden", "the token is for another subject",
            "forbidden")));
      }
      identity = next;
      watchExpiry();
      List<String> dropped = new ArrayList<>();
      for (String spec : List.copyOf(subscriptions)) {
        if (home.auth.subscribeRight(identity, spec) != 0) {
          unsubscribe(spec);
          dropped.add(spec);
        }
      }
      return Future.succeededFuture(dropped);
    });
  }

  /** Closes the connection with 4002 when its token expires; replaces any earlier watch. */
  void watchExpiry() {
    stopWatchingExpiry();
    if (identity.expiresAtMs() > 0 && !released) {
      expiryTimer = home.vertx.setTimer(Math.max(1, identity.expiresAtMs() - System.currentTimeMillis()),
          t -> close(Disconnect.TOKEN_EXPIRED));
    }
  }

  private void stopWatchingExpiry() {
    if (expiryTimer >= 0) {
      home.vertx.cancelTimer(expiryTimer);
      expiryTimer = -1;
    }
  }

  // ---- publishing ----

  /**
   * Publishes for this connection: {@code request} is {@code {channel, event, data}}; the
   * envelope's {@code from} is the token's subject. The envelope id, or a {@link Refusal}.
   */
  public Future<String> publish(JsonObject request) {
    return home.publish(identity, request);
  }

  /** Publishes a body the server built for this connection (chat): the envelope id, or a {@link Refusal}. */
  public Future<String> send(JsonObject body) {
    return home.send(body);
  }

  /** Lets go of everything the connection holds: subscriptions, timers, what its session queues. */
  void release() {
    released = true;
    stopWatchingExpiry();
    session.markClosed();
    subscriptions.forEach(spec -> home.hub.unsubscribe(session, spec));
    home.metrics.subscriptions(home.transport).addAndGet(-subscriptions.size());
    subscriptions.clear();
  }
}
