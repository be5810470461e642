package io.pulse.http;

import io.pulse.hub.Delivery;
import io.pulse.hub.Encoded;
import io.pulse.hub.Session;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.List;

/** One {@code /events} stream: writes {@code id:} and {@code data:} lines (SPEC §3). */
final class SseSession extends Session {

  private static final Buffer PING = Buffer.buffer(": ping\n\n");

  final HttpServerResponse response;
  final List<String> specs;
  private final String singleChannel;
  private final Listener listener;
  private final Encoded<Buffer> singleChannelEvents;

  SseSession(HttpServerResponse response, List<String> specs, String singleChannel,
      long maxQueuedBytes, boolean dropWhenSlow, Listener listener, Encoded<Buffer> singleChannelEvents) {
    super(maxQueuedBytes, dropWhenSlow);
    this.response = response;
    this.specs = specs;
    this.singleChannel = singleChannel;
    this.listener = listener;
    this.singleChannelEvents = singleChannelEvents;
    response.setWriteQueueMaxSize((int) Math.min(Integer.MAX_VALUE, maxQueuedBytes));
  }

  @Override
  protected boolean transportFull() {
    return response.writeQueueFull();
  }

  /**
   * Writes one event. On a single-channel stream the id is the message's and the event the same
   * for every such stream: it is built once per message and shared (Vert.x writes a slice of a
   * buffer and never changes it). A multi-channel stream's id is its own resume token.
   */
  @Override
  protected void write(Delivery d) {
    response.write(singleChannel != null ? singleChannelEvents.of(d) : event(ResumeToken.encode(positions()), d));
  }

  static Buffer singleChannelEvent(Delivery d) {
    return event(Long.toString(d.seq()), d);
  }

  private static Buffer event(String id, Delivery d) {
    return Buffer.buffer(d.envelope().length() + id.length() + 16)
        .appendString("id: ").appendString(id)
        .appendString("\ndata: ").appendString(d.envelope())
        .appendString("\n\n");
  }

  /** A comment line, so that proxies keep the stream and dead peers surface. */
  void ping() {
    if (!isClosed() && !response.writeQueueFull()) {
      response.write(PING.copy());
    }
  }

  /** Cancels the timer that ends the stream when its token expires. */
  Runnable cancelExpiry = () -> { };

  /** Set by the handler: what to do when the client does not keep up. */
  Runnable onSlow = () -> { };

  @Override
  protected void closeSlow() {
    onSlow.run();
  }

  @Override
  protected Listener listener() {
    return listener;
  }
}
