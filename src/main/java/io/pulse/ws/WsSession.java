package io.pulse.ws;

import io.pulse.hub.Delivery;
import io.pulse.hub.Session;
import io.vertx.core.Future;
import io.vertx.core.http.ServerWebSocket;

/** One WebSocket as the hub sees it: envelopes go out as text frames. */
final class WsSession extends Session {

  final ServerWebSocket ws;
  private final Listener listener;
  Runnable onSlow = () -> { };

  WsSession(ServerWebSocket ws, long maxQueuedBytes, boolean dropWhenSlow, Listener listener) {
    super(maxQueuedBytes, dropWhenSlow);
    this.ws = ws;
    this.listener = listener;
    ws.setWriteQueueMaxSize((int) Math.min(Integer.MAX_VALUE, maxQueuedBytes));
  }

  @Override
  protected Future<Void> write(Delivery d) {
    return ws.writeTextMessage(d.envelope());
  }

  @Override
  protected boolean transportFull() {
    return ws.writeQueueFull();
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
