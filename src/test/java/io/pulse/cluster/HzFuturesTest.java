package io.pulse.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.HazelcastInstance;
import io.pulse.history.History;
import io.pulse.testing.TestNodes;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class HzFuturesTest {

  @Test
  void resultsAndFailuresArriveOnTheContext() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Context ctx = vertx.getOrCreateContext();
      Thread loop = TestNodes.await(onContext(ctx, () -> Future.succeededFuture(Thread.currentThread())));
      CompletableFuture<String> ok = new CompletableFuture<>();
      CompletableFuture<String> bad = new CompletableFuture<>();
      Future<Thread> okThread = HzFutures.on(ctx, ok).map(v -> Thread.currentThread());
      Future<String> badResult = HzFutures.on(ctx, bad);
      Thread other = new Thread(() -> {
        ok.complete("v");
        bad.completeExceptionally(new IllegalStateException("boom"));
      });
      other.start();
      other.join();
      assertSame(loop, TestNodes.await(okThread), "completed on the context's event loop");
      Throwable err = TestNodes.await(badResult.transform(ar -> Future.succeededFuture(ar.cause())));
      assertEquals("boom", err.getMessage());
    } finally {
      TestNodes.await(vertx.close());
    }
  }

  /**
   * A ring-buffer append on a real member: sequences in order, each on the caller's context, and
   * no thread started per append (Hazelcast's default callback executor starts one per callback
   * where the common fork-join pool has a single thread, i.e. on machines with two cores or fewer).
   */
  @Test
  void appendsStartNoThreads() throws Exception {
    try (TestNodes nodes = new TestNodes()) {
      Vertx vertx = nodes.startPlain("hz-futures");
      HazelcastInstance hz = TestNodes.hazelcast(vertx);
      History history = new History(vertx, hz, 500, 60);
      Context ctx = vertx.getOrCreateContext();
      TestNodes.await(onContext(ctx, () -> history.append("hzf", "first"))); // creates the ring buffer
      long startedBefore = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount();
      List<Long> seqs = TestNodes.await(onContext(ctx, () -> appendInTurn(history, ctx, 200, new ArrayList<>())));
      long started = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount() - startedBefore;
      assertEquals(200, seqs.size());
      for (int i = 0; i < seqs.size(); i++) {
        assertEquals(i + 1, seqs.get(i), "sequence of append " + i);
      }
      assertTrue(started < 20, started + " threads started during 200 appends");
    }
  }

  /** Appends {@code n} messages one after the other, checking each completes on {@code ctx}. */
  private static Future<List<Long>> appendInTurn(History history, Context ctx, int n, List<Long> seqs) {
    if (seqs.size() == n) {
      return Future.succeededFuture(seqs);
    }
    return history.append("hzf", "m" + seqs.size()).compose(seq -> {
      if (Vertx.currentContext() != ctx) {
        return Future.failedFuture("append " + seqs.size() + " completed off its context");
      }
      seqs.add(seq);
      return appendInTurn(history, ctx, n, seqs);
    });
  }

  private static <T> Future<T> onContext(Context ctx, java.util.function.Supplier<Future<T>> action) {
    Promise<T> p = Promise.promise();
    ctx.runOnContext(v -> action.get().onComplete(p));
    return p.future();
  }
}
