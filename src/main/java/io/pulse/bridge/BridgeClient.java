package io.pulse.bridge;

import io.pulse.Addresses;
import io.pulse.auth.Auth;
import io.pulse.auth.Identity;
import io.pulse.channel.Channels;
import io.pulse.config.PulseConfig;
import io.pulse.hub.Hub;
import io.pulse.messages.Headers;
import io.pulse.metrics.PulseMetrics;
import io.pulse.ws.RateLimiter;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What one bridge socket sends, checked before vertx-web's bridge acts on it.
 *
 * <p>Every message counts against {@code limits.inboundPerSecond}/{@code inboundBurst}; a send or
 * publish over {@code limits.maxMessageBytes} is refused. Messages for {@code pulse.ch.<channel>}
 * never reach the bridge's own handling: a {@code register} attaches the socket to the node's hub
 * (one clustered consumer per node, whatever the number of pages), a {@code send}/{@code publish}
 * goes to {@link Addresses#PUBLISH}, each under the token's rights. Such an event is left
 * uncompleted on purpose: vertx-web then neither acts on it nor answers "rejected" (its
 * {@code checkCallHook} runs nothing until the event completes). Other addresses go to the
 * bridge, which applies {@code bridge.inbound}/{@code bridge.outbound} and the reply timeout;
 * a send, publish or reply there carries the header {@code pulse-sub} (the token's subject, set
 * here; the page's own, under any spelling, removed) so that a backend knows who asks. Headers
 * the event bus would refuse (a null value, a bad name) get an error 400 here, where vertx-web
 * would drop the message without an answer.
 *
 * <p>Not thread-safe: lives on the socket's event loop.
 */
final class BridgeClient {

  /** Refusals in a row (rate limit) after which the socket is closed with 1008. */
  static final int ABUSE_LIMIT = 50;
  /** The header of a channel publish that becomes the envelope's {@code type}. */
  static final String EVENT_HEADER = "event";

  final BridgeSession session;
  final Set<String> subscriptions = new LinkedHashSet<>();
  final Identity identity;
  String closeReason;
  long expiryTimer = -1;
  private final Vertx vertx;
  private final PulseConfig cfg;
  private final Auth auth;
  private final Hub hub;
  private final PulseMetrics metrics;
  private final RateLimiter limiter;
  private final Closer closer;

  /** Closes the socket with a code, counting {@code reason}. */
  interface Closer {
    void close(int code, String message, String reason);
  }

  BridgeClient(Vertx vertx, PulseConfig cfg, Auth auth, Hub hub, PulseMetrics metrics, Identity identity,
      java.util.function.Function<Set<String>, BridgeSession> sessions, Closer closer) {
    this.vertx = vertx;
    this.cfg = cfg;
    this.auth = auth;
    this.hub = hub;
    this.metrics = metrics;
    this.identity = identity;
    this.closer = closer;
    this.session = sessions.apply(subscriptions);
    this.limiter = new RateLimiter(cfg.inboundPerSecond(), cfg.inboundBurst(), System.nanoTime());
  }

  /** A register, unregister, send or publish from the page. */
  void onMessage(BridgeEvent be) {
    if (session.isClosed()) {
      be.complete(true); // the bridge's own unregisters while it cleans up a closed socket
      return;
    }
    JsonObject raw = be.getRawMessage();
    String address = raw.getValue("address") instanceof String a ? a : null;
    String replyTo = raw.getValue("replyAddress") instanceof String r && r.length() <= 36 ? r : null;
    if (!limiter.tryAcquire(System.nanoTime())) {
      metrics.refused("rate_limited");
      if (limiter.refusedInARow() >= ABUSE_LIMIT) {
        closer.close(1008, "rate limit exceeded repeatedly", "policy");
      } else if (replyTo != null || limiter.refusedInARow() == 1 || limiter.refusedInARow() % 10 == 0) {
        refuse(be, replyTo, 429, "rate_limited",
            "over limits.inboundPerSecond (" + cfg.inboundPerSecond() + "/s); slow down");
      }
      return; // swallowed
    }
    boolean sendOrPublish = switch (be.type()) {
      case SEND, PUBLISH -> true;
      default -> false;
    };
    if (sendOrPublish && raw.encode().length() > cfg.maxMessageBytes()) {
      metrics.refused("too_large");
      refuse(be, replyTo, 413, "too_large", "message over limits.maxMessageBytes (" + cfg.maxMessageBytes() + ")");
      return;
    }
    if (address == null || !address.startsWith(Addresses.CHANNEL_PREFIX)) {
      toBridge(be, raw, address, replyTo, sendOrPublish);
      return;
    }
    String name = address.substring(Addresses.CHANNEL_PREFIX.length());
    switch (be.type()) {
      case REGISTER -> register(be, address, name);
      case UNREGISTER -> unregister(name);
      default -> publish(be, raw, name, replyTo);
    }
  }

  /**
   * Not a channel: vertx-web's bridge decides (permitted lists, reply timeout). A send or publish
   * (a reply to a backend too) gets the server's subject header in place of any the page wrote.
   */
  private void toBridge(BridgeEvent be, JsonObject raw, String address, String replyTo, boolean sendOrPublish) {
    if (sendOrPublish) {
      JsonObject headers = raw.getValue("headers") instanceof JsonObject h ? h : new JsonObject();
      String bad = Headers.problem(headers);
      if (bad != null) {
        metrics.refused("bad_request");
        refuse(be, replyTo, 400, "bad_request", bad);
        return;
      }
      raw.put("headers", Headers.own(headers, Addresses.HEADER_SUBJECT, identity.subject()));
    }
    boolean permitted = address != null && BridgePermissions.allows(
        sendOrPublish ? cfg.bridgeInbound() : cfg.bridgeOutbound(), address);
    if (!permitted && address != null && !address.startsWith("__vertx.reply.")) {
      metrics.refused("forbidden"); // the bridge answers access_denied
    }
    be.complete(true);
  }

  private void register(BridgeEvent be, String address, String spec) {
    String err = Channels.subscriptionError(spec);
    if (err != null) {
      metrics.refused("bad_request");
      writeText(BridgeFrames.failure(address, 400, ReplyFailure.RECIPIENT_FAILURE, err));
      return;
    }
    int right = auth.subscribeRight(identity, spec);
    if (right != 0) {
      denied(address, right, "subscribe to " + spec);
      return;
    }
    if (subscriptions.contains(spec)) {
      return;
    }
    if (subscriptions.size() >= cfg.maxSubscriptionsPerConnection()) {
      metrics.refused("max_subscriptions");
      writeText(BridgeFrames.failure(address, 400, ReplyFailure.RECIPIENT_FAILURE, "at most "
          + cfg.maxSubscriptionsPerConnection() + " subscriptions per connection (limits.maxSubscriptionsPerConnection)"));
      return;
    }
    subscriptions.add(spec);
    metrics.subscriptions(PulseMetrics.BRIDGE).incrementAndGet();
    hub.subscribe(session, spec);
  }

  private void unregister(String spec) {
    if (subscriptions.remove(spec)) {
      hub.unsubscribe(session, spec);
      metrics.subscriptions(PulseMetrics.BRIDGE).decrementAndGet();
    }
  }

  /** A page publishing to a channel: Pulse's publish path, as the WebSocket's {@code publish}. */
  private void publish(BridgeEvent be, JsonObject raw, String channel, String replyTo) {
    String err = Channels.channelError(channel);
    if (err != null) {
      metrics.refused("bad_request");
      refuse(be, replyTo, 400, "bad_request", err);
      return;
    }
    int right = auth.publishRight(identity, channel);
    if (right != 0) {
      metrics.refused(right == Auth.UNAUTHORIZED ? "unauthorized" : "forbidden");
      refuse(be, replyTo, right, right == Auth.UNAUTHORIZED ? "unauthorized" : "forbidden",
          (right == Auth.UNAUTHORIZED ? "a token is required to " : "the token does not allow you to ")
              + "publish to " + channel);
      return;
    }
    JsonObject body = new JsonObject().put("channel", channel).put("data", raw.getValue("body"))
        .put("from", identity.subject());
    List<Object> event = raw.getValue("headers") instanceof JsonObject h ? Headers.values(h, EVENT_HEADER) : List.of();
    if (event.size() > 1) {
      metrics.refused("bad_request");
      refuse(be, replyTo, 400, "bad_request", "the header event appears " + event.size()
          + " times (header names ignore case); send it once");
      return;
    }
    if (event.size() == 1 && event.get(0) != null) {
      body.put("event", event.get(0)); // checked by the publish path: a string of [A-Za-z0-9_.-]
    }
    vertx.eventBus().<JsonObject>request(Addresses.PUBLISH, body, Addresses.LOCAL).onComplete(ar -> {
      if (ar.succeeded()) {
        if (replyTo != null) {
          writeText(BridgeFrames.reply(replyTo, new JsonObject().put("id", ar.result().body().getString("id"))));
        }
      } else if (ar.cause() instanceof ReplyException re && re.failureCode() == 400) {
        refuse(be, replyTo, 400, "bad_request", re.getMessage());
      } else {
        refuse(be, replyTo, 503, "unavailable", "publish failed, try again");
      }
    });
  }

  private void denied(String address, int right, String what) {
    metrics.refused(right == Auth.UNAUTHORIZED ? "unauthorized" : "forbidden");
    writeText(BridgeFrames.failure(address, right, ReplyFailure.RECIPIENT_FAILURE,
        (right == Auth.UNAUTHORIZED ? "a token is required to " : "the token does not allow you to ") + what));
  }

  /**
   * Answers a refused message: to its reply callback if it has one, to the handlers of the address
   * for a register, else to {@code onerror}.
   */
  private void refuse(BridgeEvent be, String replyTo, int code, String errorCode, String message) {
    String address = be.getRawMessage().getValue("address") instanceof String a ? a : null;
    if (replyTo != null) {
      writeText(BridgeFrames.failure(replyTo, code, ReplyFailure.RECIPIENT_FAILURE, message));
    } else if (be.type() == io.vertx.ext.bridge.BridgeEventType.REGISTER && address != null) {
      writeText(BridgeFrames.failure(address, code, ReplyFailure.RECIPIENT_FAILURE, message));
    } else {
      writeText(BridgeFrames.error(errorCode, message));
    }
  }

  private void writeText(String text) {
    if (!session.isClosed()) {
      session.writeText(text);
    }
  }

  /** The socket is gone: leaves every subscription. */
  void closed() {
    session.markClosed();
    subscriptions.forEach(spec -> hub.unsubscribe(session, spec));
    metrics.subscriptions(PulseMetrics.BRIDGE).addAndGet(-subscriptions.size());
    subscriptions.clear();
  }
}
