package io.pulse.bench;

import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * One Vert.x event loop per core for the Vert.x clients: a Vert.x connection lives on the event
 * loop of the context that opened it, and connections opened from one thread would all share one
 * loop, which would then be the bench's bottleneck (and its queueing part of the measured latency).
 */
final class EventLoops {

  private final List<Context> loops;

  EventLoops(Vertx vertx) {
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
  <T> Future<T> onLoop(int i, Supplier<Future<T>> step) {
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
}
