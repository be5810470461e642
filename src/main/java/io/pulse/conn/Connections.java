package io.pulse.conn;

import io.pulse.messages.Addresses;
import io.pulse.auth.Auth;
import io.pulse.auth.Identity;
import io.pulse.channel.Channels;
import io.pulse.config.Limits;
import io.pulse.config.PulseConfig;
import io.pulse.history.History;
import io.pulse.history.History.Replay;
import io.pulse.hub.Hub;
import io.pulse.hub.Session;
import io.pulse.hub.SlowPolicy;
import io.pulse.messages.Delivery;
import io.pulse.metrics.PulseMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The connections of one transport on one verticle instance, and what they share: admission
 * (Origin, draining, token, the node's connection limit), the checks of a subscription, publishing
 * on a client's behalf, revocation and rejoin, and the metrics under the transport's label
 * ({@link PulseMetrics#SSE}, {@link PulseMetrics#WS}, {@link PulseMetrics#BRIDGE}).
 *
 * <p>Every refusal it returns has been counted in {@code pulse_refused_total}: transports frame it
 * and count nothing themselves, but what they refuse on parsing ({@link #refused}).
 *
 * <p>Not thread-safe: lives on its verticle's event loop.
 */
public final class Connections {

  final Vertx vertx;
  final PulseConfig cfg;
  final Limits limits;
  final Auth auth;
  final Hub hub;
  final Replays replays;
  final PulseMetrics metrics;
  final String transport;
  final Session.Listener sessionListener;
  private final NodeState node;
  private final Origins origins;
  private final Set<Connection> open = new LinkedHashSet<>();
  private Runnable onChange = () -> { };

  /** {@code transport}: the metrics label of the connections held here. */
  /** What a subscription that resumes reads: the messages of each channel after its position. */
  @FunctionalInterface
  public interface Replays {
    Future<Map<String, Replay>> since(Map<String, Long> positions);

    /** All of what {@code history} keeps after each position. */
    static Replays of(History history) {
      return positions -> history.sinceAll(positions, Integer.MAX_VALUE);
    }
  }

  public Connections(Vertx vertx, PulseConfig cfg, Auth auth, Hub hub, Replays replays, PulseMetrics metrics,
      String transport) {
    this.vertx = vertx;
    this.cfg = cfg;
    this.limits = cfg.limits();
    this.auth = auth;
    this.hub = hub;
    this.replays = replays;
    this.metrics = metrics;
    this.transport = transport;
    this.sessionListener = listener(metrics.deliveries(transport));
    this.node = NodeState.of(vertx);
    this.origins = new Origins(cfg.allowedOrigins(), node::httpPort);
  }

  /**
   * Ends the connections of a revoked subject ({@link Addresses#REVOKED_LOCAL}) and, after this
   * node merged back into the cluster ({@link Addresses#REJOINED_LOCAL}), every connection: its
   * clients resume against the merged history. Call from the verticle's start.
   */
  public Connections listen() {
    vertx.eventBus().<JsonObject>localConsumer(Addresses.REVOKED_LOCAL,
        m -> revoked(m.body().getString("sub"), m.body().getLong("revokedAt")));
    vertx.eventBus().localConsumer(Addresses.REJOINED_LOCAL, m -> closeAll(Disconnect.REJOINED));
    return this;
  }

  /** Runs {@code r} after each open and close (the node's connection report). */
  public Connections onChange(Runnable r) {
    this.onChange = r;
    return this;
  }

  /** The session listener a transport's sessions report deliveries and drops to. */
  public Session.Listener sessionListener() {
    return sessionListener;
  }

  public PulseConfig config() {
    return cfg;
  }

  /** What every connection is held to ({@code limits.*}). */
  public Limits limits() {
    return limits;
  }

  /** The sessions' events, counted under the transport's label. */
  private static Session.Listener listener(PulseMetrics.Deliveries counted) {
    return new Session.Listener() {
      @Override
      public void delivered(Delivery d) {
        counted.delivered(d.ts());
      }

      @Override
      public void dropped(Delivery d, String reason) {
        counted.dropped(reason);
      }

      @Override
      public void conflated(Delivery newer) {
        counted.conflated();
      }

      @Override
      public void flushed() {
        counted.flushed();
      }

      @Override
      public void conflationHeld(int channels, long bytes) {
        counted.held(channels, bytes);
      }
    };
  }

  // ---- admission ----

  /** A refusal for a request's {@code Origin} header outside {@code auth.allowedOrigins}, else null. */
  public Refusal checkOrigin(String origin) {
    return origins.allows(origin) ? null : refused(new Refusal(403, "forbidden", "Origin not allowed", "origin"));
  }

  /** A refusal while the node shuts down, else null. */
  public Refusal checkDraining() {
    return node.draining() ? refused(new Refusal(503, "unavailable", "node is shutting down", "draining")) : null;
  }

  /**
   * Who a new connection is: its Origin and the node's state are checked, then its token (null:
   * anonymous). Fails with a {@link Refusal}. Takes no slot: see {@link #acquire()}.
   */
  public Future<Identity> admit(String origin, String token) {
    Refusal r = checkOrigin(origin);
    if (r == null) {
      r = checkDraining();
    }
    return r != null ? Future.failedFuture(r) : authenticate(token);
  }

  /** The identity of {@code token}, or a 401 {@link Refusal}. */
  public Future<Identity> authenticate(String token) {
    return auth.authenticate(token).recover(err ->
        Future.failedFuture(refused(new Refusal(401, "unauthorized", err.getMessage(), "unauthorized"))));
  }

  /** Takes one of the node's {@code limits.maxConnections} slots: null, or the refusal when full. */
  public Refusal acquire() {
    return node.tryAcquire() ? null
        : refused(new Refusal(503, "unavailable", "node is at limits.maxConnections", "max_connections"));
  }

  /** Gives back a slot taken by {@link #acquire()} for a connection that did not open after all. */
  public void release() {
    node.release();
  }

  /**
   * A connection admitted ({@code identity}) and holding a slot: from here on the core owns its
   * lifecycle. Its token's expiry is watched.
   */
  public Connection open(Identity identity, Session session, Transport transport) {
    Connection c = new Connection(this, identity, session, transport);
    open.add(c);
    metrics.connections(this.transport).incrementAndGet();
    c.watchExpiry();
    onChange.run();
    return c;
  }

  /** Ends {@code c} for {@code why}: forgotten here, then closed by its transport. */
  void close(Connection c, Disconnect why) {
    if (closed(c, why.reason())) {
      c.transport.close(why);
    }
  }

  /** {@code c} is gone ({@code reason}: the metrics label); false if it was already. */
  boolean closed(Connection c, String reason) {
    if (!open.remove(c)) {
      return false;
    }
    c.release();
    node.release();
    metrics.connections(transport).decrementAndGet();
    metrics.disconnected(transport, reason);
    onChange.run();
    return true;
  }

  /** Ends the connections opened with {@code sub}'s tokens issued up to {@code revokedAtMs}. */
  public void revoked(String sub, long revokedAtMs) {
    for (Connection c : List.copyOf(open)) {
      if (c.identity().revokedBy(sub, revokedAtMs)) {
        c.close(Disconnect.REVOKED);
      }
    }
  }

  /** Ends every connection for {@code why} (shutdown, rejoin). */
  public void closeAll(Disconnect why) {
    for (Connection c : List.copyOf(open)) {
      c.close(why);
    }
  }

  /** The open connections, as a copy. */
  public List<Connection> all() {
    return List.copyOf(open);
  }

  public int count() {
    return open.size();
  }

  public int subscriptionCount() {
    int n = 0;
    for (Connection c : open) {
      n += c.subscriptions().size();
    }
    return n;
  }

  // ---- what every connection may ask ----

  /** The refusal of a subscription to {@code spec} (bad name, no right), or null. */
  public Refusal checkSubscription(Identity identity, String spec) {
    String err = spec == null ? "channel must be a string" : Channels.subscriptionError(spec);
    if (err != null) {
      return refused(Refusal.badRequest(err));
    }
    int right = auth.subscribeRight(identity, spec);
    return right == 0 ? null : refused(Refusal.right(right, "subscribe to " + spec));
  }

  /** The refusal of chat ({@code what}: joining a room, seeing its presence) to {@code identity}, or null. */
  public Refusal checkChat(Identity identity, String what) {
    int right = auth.chatRight(identity);
    return right == 0 ? null : refused(Refusal.right(right, what));
  }

  /**
   * The slow-consumer policy of a subscription to {@code spec}, {@code requested} by the client
   * or null for the configured one ({@code limits.slowConsumer*}); a refused one throws.
   */
  public SlowPolicy policy(String spec, String requested) {
    try {
      return limits.slowPolicies().resolve(spec, requested);
    } catch (IllegalArgumentException e) {
      throw refused(Refusal.badRequest(e.getMessage()));
    }
  }

  /**
   * Publishes {@code request} ({@code {channel, event, data}}) for {@code identity}: the channel's
   * publish right is checked, {@code from} is the token's subject (whatever the request says).
   * Completes with the envelope id, or fails with a {@link Refusal}.
   */
  public Future<String> publish(Identity identity, JsonObject request) {
    request.remove("from");
    if (request.getValue("channel") instanceof String ch && Channels.channelError(ch) == null) {
      int right = auth.publishRight(identity, ch);
      if (right != 0) {
        return Future.failedFuture(refused(Refusal.right(right, "publish to " + ch)));
      }
    } // else PublishVerticle answers 400 with what is wrong
    if (!identity.anonymous()) {
      request.put("from", identity.subject());
    }
    return send(request);
  }

  /**
   * Requests {@link Addresses#PUBLISH} for a body built by the server (a chat message: its
   * {@code from} is the room name): the envelope id, or a {@link Refusal} (400: the request is
   * wrong; 503: the cluster could not take it).
   */
  public Future<String> send(JsonObject body) {
    return vertx.eventBus().<JsonObject>request(Addresses.PUBLISH, body, Addresses.LOCAL)
        .map(reply -> reply.body().getString("id"))
        .recover(err -> Future.failedFuture(err instanceof ReplyException re && re.failureCode() == 400
            ? refused(Refusal.badRequest(re.getMessage()))
            : Refusal.unavailable("publish failed, try again")));
  }

  /** Counts {@code r} (its {@code reason}) and returns it. */
  public Refusal refused(Refusal r) {
    if (r.reason != null) {
      metrics.refused(r.reason);
    }
    return r;
  }
}
