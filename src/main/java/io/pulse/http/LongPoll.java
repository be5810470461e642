package io.pulse.http;

import io.pulse.history.History;
import io.pulse.history.History.Replay;
import io.pulse.hub.Hub;
import io.pulse.hub.Session;
import io.pulse.messages.Delivery;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;

/**
 * The wait of {@code GET /api/channels/{c}/history?since=&wait=} ({@link HistoryApi}), the
 * long-polling fallback for clients that can use neither SSE nor WebSocket: a hub session that
 * only notices that a message arrived on its channel.
 */
final class LongPoll extends Session {

  private static final Listener NO_METRICS = new Listener() {
    @Override
    public void delivered(Delivery d) {
    }

    @Override
    public void dropped(Delivery d, String reason) {
    }
  };

  private final Promise<Void> arrived = Promise.promise();

  private LongPoll() {
    super(Long.MAX_VALUE, true);
  }

  /**
   * The messages of {@code channel} after {@code since}, once there is one or {@code wait} seconds
   * have passed. The waiter joins the hub first, then reads, so a message published in between is
   * not missed; it leaves the hub when done or when {@code response} closes.
   */
  static Future<Replay> messagesAfter(Vertx vertx, Hub hub, History history, HttpServerResponse response,
      String channel, long since, int limit, int wait) {
    LongPoll waiter = new LongPoll();
    Runnable done = () -> hub.unsubscribe(waiter, channel);
    response.closeHandler(v -> {
      waiter.markClosed();
      done.run();
    });
    return hub.subscribe(waiter, channel)
        .compose(v -> history.since(channel, since, limit))
        .compose(first -> {
          if (!first.messages().isEmpty() || !first.recovered()) {
            return Future.succeededFuture(first);
          }
          long timer = vertx.setTimer(wait * 1000L, t -> waiter.arrived.tryComplete());
          return waiter.arrived.future()
              .compose(v -> {
                vertx.cancelTimer(timer);
                return history.since(channel, since, limit);
              });
        })
        .andThen(ar -> done.run());
  }

  @Override
  protected void write(Delivery d) {
    arrived.tryComplete();
  }

  @Override
  protected void closeSlow() {
  }

  @Override
  protected Listener listener() {
    return NO_METRICS;
  }
}
