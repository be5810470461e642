package io.pulse.bench;

import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A set of subscriber connections of one transport, all on one channel, feeding one
 * {@link Deliveries}. Connections are spread over the given nodes in turn. This class keeps what
 * both transports share: the event loops the connections are spread over, the account of
 * connections lost during the run, and closing.
 */
abstract class Clients implements AutoCloseable {

  /**
   * One event loop per core: a Vert.x connection lives on the event loop of the context that
   * opened it, and connections opened from one thread would all share one loop, which would then
   * be the bench's bottleneck (and its queueing part of the measured latency).
   */
  private final List<Context> loops;

  protected Clients(Vertx vertx) {
    List<Context> contexts = new CopyOnWriteArrayList<>();
    vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        contexts.add(context);
        return Future.succeededFuture();
      }
    }, new DeploymentOptions().setInstances(Runtime.getRuntime().availableProcessors()))
        .toCompletionStage().toCompletableFuture().join();
    this.loops = List.copyOf(contexts);
  }

  /** Runs {@code step} (which opens connection {@code i}) on the i-th event loop in turn. */
  protected final <T> Future<T> onLoop(int i, Supplier<Future<T>> step) {
    Promise<T> done = Promise.promise();
    loops.get(i % loops.size()).runOnContext(v -> {
      try {
        step.get().onComplete(done);
      } catch (RuntimeException e) {
        done.fail(e);
      }
    });
    return done.future();
  }

  /** How opening went. */
  record Opened(int opened, int failed, long millis, String firstError) {

    /** Connections (opened and subscribed) per second. */
    double perSecond() {
      return millis == 0 ? opened : opened * 1000.0 / millis;
    }
  }

  private final Drops drops = new Drops();
  private volatile boolean closing;

  /**
   * Opens {@code count} connections, at most {@code concurrency} at a time, each subscribed to
   * {@code channel} before it counts as opened; gives up on what is not done by {@code deadline}
   * (epoch ms).
   */
  abstract Opened open(List<Node> nodes, int count, String channel, int concurrency, long deadline)
      throws InterruptedException;

  /** Closes every connection opened; completes when they are closed. */
  protected abstract Future<?> closeConnections();

  /** Closes the underlying Vert.x client. */
  protected abstract Future<Void> closeClient();

  /** A connection was lost ({@code why}: a close code, say), unless the bench is closing them. */
  protected final void lost(String why) {
    if (!closing) {
      drops.record(why);
    }
  }

  /** Connections that the server closed or that failed after they were opened. */
  final int dropped() {
    return drops.count();
  }

  /** A short account of why connections were dropped (close codes), empty if none. */
  final String dropReasons() {
    return drops.summary();
  }

  /** Closes every connection (bounded in time), then the client. */
  @Override
  public final void close() {
    closing = true;
    try {
      closeConnections().await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      // some did not close in time: the client close below drops them
    }
    try {
      closeClient().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // best effort
    }
  }
}
