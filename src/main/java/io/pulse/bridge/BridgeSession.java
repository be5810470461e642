package io.pulse.bridge;

import io.pulse.Addresses;
import io.pulse.channel.Channels;
import io.pulse.hub.Delivery;
import io.pulse.hub.Session;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import java.util.Set;

/**
 * One bridge socket as the hub sees it: each envelope goes out in the bridge's wire format,
 * {@code {"type":"rec","address":"pulse.ch.<subscription>","body":<envelope>}}, once for every
 * subscription of the socket that covers its channel (the client dispatches on the address it
 * registered, so a page holding {@code sensors.*} and {@code sensors.s-01} gets both callbacks).
 *
 * <p>The outbound queue is bounded by {@code limits.sendQueueBytes}: the bytes written whose write
 * has not completed yet, and the SockJS session's own queue of frames waiting for a poll.
 */
final class BridgeSession extends Session {

  private final SockJSSocket sock;
  private final Set<String> subscriptions; // the client's, read only
  private final Listener listener;
  private final long maxQueuedBytes;
  private long pendingBytes;
  Runnable onSlow = () -> { };

  BridgeSession(SockJSSocket sock, Set<String> subscriptions, long maxQueuedBytes, boolean dropWhenSlow,
      Listener listener) {
    super(maxQueuedBytes, dropWhenSlow);
    this.sock = sock;
    this.subscriptions = subscriptions;
    this.listener = listener;
    this.maxQueuedBytes = maxQueuedBytes;
    sock.setWriteQueueMaxSize((int) Math.min(Integer.MAX_VALUE, maxQueuedBytes));
  }

  /** The frame for one delivery under one registered address. */
  static String rec(String subscription, String envelope) {
    // Channel names and patterns are [A-Za-z0-9_.*-]: nothing to escape.
    return "{\"type\":\"rec\",\"address\":\"" + Addresses.CHANNEL_PREFIX + subscription + "\",\"body\":" + envelope + "}";
  }

  @Override
  protected void write(Delivery d) {
    for (String spec : subscriptions) {
      if (spec.equals(d.channel()) || (Channels.isPattern(spec) && Channels.matches(spec, d.channel()))) {
        writeText(rec(spec, d.envelope()));
      }
    }
  }

  /** Writes one frame of the bridge protocol, counted in the bounded queue. */
  void writeText(String text) {
    int bytes = text.length();
    pendingBytes += bytes;
    sock.write(text).onComplete(ar -> pendingBytes -= bytes);
  }

  @Override
  protected boolean transportFull() {
    return pendingBytes >= maxQueuedBytes || sock.writeQueueFull();
  }

  @Override
  protected void closeSlow() {
    onSlow.run();
  }

  @Override
  protected Listener listener() {
    return listener;
  }
}
