package io.pulse.bridge;

import io.pulse.messages.Addresses;
import io.pulse.channel.Channels;
import io.pulse.messages.Delivery;
import io.pulse.conn.Disconnect;
import io.pulse.conn.Transport;
import io.pulse.hub.Session;
import io.pulse.hub.SlowPolicy;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import java.util.Set;

/**
 * One bridge socket as the hub sees it: each envelope goes out in the bridge's wire format,
 * {@code {"type":"rec","address":"pulse.ch.<subscription>","body":<envelope>}}, once for every
 * subscription of the socket that covers its channel (the client dispatches on the address it
 * registered, so a page holding {@code sensors.*} and {@code sensors.s-01} gets both callbacks).
 *
 * <p>The outbound queue is bounded by {@code limits.sendQueueBytes}: the bytes written whose write
 * has not completed yet, and the SockJS session's own queue of frames waiting for a poll. Under
 * policy {@code conflate} the waiting messages are written once half of it has drained.
 */
final class BridgeSession extends Session implements Transport {

  private final SockJSSocket sock;
  private Set<String> subscriptions = Set.of(); // the connection's, read only
  private final Listener listener;
  private final long maxQueuedBytes;
  private long pendingBytes;
  private boolean watchingDrain;

  BridgeSession(SockJSSocket sock, long maxQueuedBytes, SlowPolicy defaultPolicy, Listener listener) {
    super(maxQueuedBytes, defaultPolicy);
    this.sock = sock;
    this.listener = listener;
    this.maxQueuedBytes = maxQueuedBytes;
    sock.setWriteQueueMaxSize((int) Math.min(Integer.MAX_VALUE, maxQueuedBytes));
  }

  /** The subscriptions a delivery is written under (the connection's, a live view). */
  void subscriptions(Set<String> subscriptions) {
    this.subscriptions = subscriptions;
  }

  @Override
  public void close(Disconnect why) {
    sock.close(why.code(), why.message());
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
    sock.write(text).onComplete(ar -> {
      pendingBytes -= bytes;
      if (watchingDrain && pendingBytes <= maxQueuedBytes / 2 && !sock.writeQueueFull()) {
        drained(); // conflated messages wait for room
      }
    });
  }

  @Override
  protected void watchDrain() {
    watchingDrain = true;
    sock.drainHandler(v -> drained());
  }

  @Override
  protected boolean transportFull() {
    return pendingBytes >= maxQueuedBytes || sock.writeQueueFull();
  }

  @Override
  protected Listener listener() {
    return listener;
  }
}
