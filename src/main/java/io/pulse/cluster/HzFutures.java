package io.pulse.cluster;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Hazelcast's asynchronous results as Vert.x futures completed on a Vert.x context.
 *
 * <p>Not {@code Future.fromCompletionStage}: a callback registered on a Hazelcast future without
 * an executor runs on Hazelcast's default async executor, which is the common fork-join pool only
 * when that pool has two threads or more; with two cores or fewer (parallelism 1) it starts a
 * <em>new thread for every callback</em>. On such a node every publish paid a thread start and
 * an extra hand-off between its ring-buffer append and its delivery. Here the callback runs on
 * the thread that completes the Hazelcast future and does nothing there but hand the result to
 * the context.
 */
public final class HzFutures {

  /** Runs the callback on the completing thread; it only enqueues a task on a context. */
  private static final Executor COMPLETING_THREAD = Runnable::run;

  private HzFutures() {
  }

  /** {@code stage}'s outcome, delivered on {@code context}. */
  public static <T> Future<T> on(Context context, CompletionStage<T> stage) {
    Promise<T> promise = Promise.promise();
    stage.whenCompleteAsync((value, err) -> context.runOnContext(v -> {
      if (err != null) {
        promise.fail(err);
      } else {
        promise.complete(value);
      }
    }), COMPLETING_THREAD);
    return promise.future();
  }
}
