package io.pulse.history;

import io.pulse.metrics.PulseMetrics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retires the replay windows of idle channels ({@link History#retireIdle}) every
 * {@code history.retireCheckSeconds}, one round at a time, on a worker thread; counts them in
 * {@code pulse_history_retired_total}.
 */
public final class HistoryJanitorVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(HistoryJanitorVerticle.class);

  private final History history;
  private final PulseMetrics metrics;
  private final long periodMs;
  private boolean running;

  public HistoryJanitorVerticle(History history, PulseMetrics metrics, int checkSeconds) {
    this.history = history;
    this.metrics = metrics;
    this.periodMs = checkSeconds * 1000L;
  }

  @Override
  public Future<?> start() {
    vertx.setPeriodic(periodMs, id -> check());
    return Future.succeededFuture();
  }

  private void check() {
    history.forgetUnused();
    if (running) {
      return;
    }
    running = true;
    vertx.executeBlocking(history::retireIdle, false).onComplete(ar -> {
      running = false;
      if (ar.succeeded()) {
        metrics.historyRetired(ar.result());
      } else {
        LOG.warn("retiring idle channels failed: {}", ar.cause().toString());
      }
    });
  }
}
