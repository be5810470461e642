package io.pulse.http;

import io.pulse.hub.Delivery;
import io.pulse.hub.Session;
import io.vertx.core.Future;
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

  SseSession(HttpServerResponse response, List<String> specs, String singleChannel,
      long maxQueuedBytes, boolean dropWhenSlow, Listener listener) {
    super(maxQueuedBytes, dropWhenSlow);
    this.response = response;
    this.specs = specs;
    this.singleChannel = singleChannel;
    this.listener = listener;
    response.setWriteQueueMaxSize((int) Math.min(Integer.MAX_VALUE, maxQueuedBytes));
  }

  @Override
  protected boolean transportFull() {
    return response.writeQueueFull();
  }

  @Override
  protected Future<Void> write(Delivery d) {
    String id = singleChannel != null ? Long.toString(d.seq()) : ResumeToken.encode(positions());
    Buffer frame = Buffer.buffer(d.envelope().length() + id.length() + 16)
        .appendString("id: ").appendString(id)
        .appendString("\ndata: ").appendString(d.envelope())
        .appendString("\n\n");
    return response.write(frame);
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
