package io.pulse.hub;

import io.pulse.messages.Delivery;
import io.pulse.history.History;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;

/** Fills a hub's gaps from the history, with timers on the calling verticle's event loop. */
public final class HistoryGaps implements Hub.Gaps {

  private final Vertx vertx;
  private final History history;
  private final int max;

  public HistoryGaps(Vertx vertx, History history, int historySize) {
    this.vertx = vertx;
    this.history = history;
    this.max = historySize;
  }

  @Override
  public void later(long ms, Runnable task) {
    vertx.setTimer(ms, t -> task.run());
  }

  @Override
  public Future<List<Delivery>> missing(String channel, long after, long before) {
    int limit = (int) Math.max(1, Math.min(max, before - after - 1));
    return history.since(channel, after, limit)
        .map(r -> r.messages().stream().filter(d -> d.seq() > after && d.seq() < before).toList());
  }

  @Override
  public boolean detachedWelcome() {
    return !history.writable();
  }
}
