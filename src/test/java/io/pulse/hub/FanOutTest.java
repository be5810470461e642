package io.pulse.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.messages.Addresses;
import io.pulse.testing.Await;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** One event-bus consumer per address for several listeners, each served on its own event loop. */
@Timeout(30)
class FanOutTest {

  static final String ADDRESS = Addresses.channel("fan.t");
  static final Duration WAIT = Duration.ofSeconds(10);

  /** A listener as a transport instance would be: on an event loop of its own. */
  static final class Listening extends VerticleBase {
    final FanOut fan;
    final List<Long> seqs = new CopyOnWriteArrayList<>();
    final Set<String> threads = ConcurrentHashMap.newKeySet();
    volatile String ownThread;
    Hub.Registration registration;

    Listening(FanOut fan) {
      this.fan = fan;
    }

    @Override
    public Future<?> start() {
      ownThread = Thread.currentThread().getName();
      registration = fan.bus().listen(ADDRESS, d -> {
        threads.add(Thread.currentThread().getName());
        seqs.add(d.seq());
      });
      return registration.ready();
    }

    /** Cancels on the listener's own event loop, as a hub does. */
    void cancel() {
      context.runOnContext(v -> registration.cancel());
    }
  }

  @Test
  void oneConsumerFeedsEveryListenerInOrderOnItsOwnLoop() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      FanOut fan = new FanOut(vertx.eventBus());
      List<Listening> listeners = new CopyOnWriteArrayList<>();
      vertx.deployVerticle(() -> {
        Listening l = new Listening(fan);
        listeners.add(l);
        return l;
      }, new DeploymentOptions().setInstances(3)).await();
      assertEquals(1, fan.consumers(), "one consumer for three listeners");

      publish(vertx, 1, 20);
      for (Listening l : listeners) {
        Await.until(() -> l.seqs.size() == 20, WAIT, "all 20 on " + l.ownThread + ": " + l.seqs);
        assertEquals(range(1, 20), l.seqs, "in order");
        assertEquals(Set.of(l.ownThread), l.threads, "on the listener's own event loop");
      }
      assertEquals(3, listeners.stream().map(l -> l.ownThread).distinct().count(), "three loops");

      // One leaves: it hears nothing more, the others go on through the same consumer.
      Listening gone = listeners.get(0);
      gone.cancel();
      Await.until(() -> fan.consumers() == 1, WAIT, "still one consumer");
      publish(vertx, 21, 25);
      for (Listening l : listeners.subList(1, 3)) {
        Await.until(() -> l.seqs.size() == 25, WAIT, "the rest on " + l.ownThread);
      }
      assertEquals(20, gone.seqs.size(), "nothing after its cancel");

      // The last one out removes the consumer.
      listeners.subList(1, 3).forEach(Listening::cancel);
      Await.until(() -> fan.consumers() == 0, WAIT, "no consumer left");
      publish(vertx, 26, 26);
      Thread.sleep(200); // nothing may arrive: give a stray delivery the time to show
      assertTrue(listeners.stream().allMatch(l -> l.seqs.size() <= 25), "nothing after the last cancel");
    } finally {
      vertx.close().await();
    }
  }

  /** A verticle whose hub runs {@code handler}; records its event loop. */
  static final class Hub1 extends VerticleBase {
    final FanOut fan;
    final java.util.function.Consumer<io.pulse.messages.Delivery> handler;
    volatile String thread;

    Hub1(FanOut fan, java.util.function.Consumer<io.pulse.messages.Delivery> handler) {
      this.fan = fan;
      this.handler = handler;
    }

    @Override
    public Future<?> start() {
      thread = Thread.currentThread().getName();
      return fan.bus().listen(ADDRESS, handler).ready();
    }
  }

  @Test
  void otherLoopsStartBeforeTheConsumersOwnLoopFansOut() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      FanOut fan = new FanOut(vertx.eventBus());
      java.util.concurrent.CountDownLatch otherRan = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.atomic.AtomicReference<Boolean> ownSawOther = new java.util.concurrent.atomic.AtomicReference<>();
      // The first hub registers the consumer, so messages arrive on its loop; its fan-out waits
      // (up to 2 s) for the other loop's to have started. Handing off after the local fan-out
      // would make it wait in vain.
      Hub1 own = new Hub1(fan, d -> {
        try {
          ownSawOther.set(otherRan.await(2, java.util.concurrent.TimeUnit.SECONDS));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      vertx.deployVerticle(own).await();
      Hub1 other = new Hub1(fan, d -> otherRan.countDown());
      vertx.deployVerticle(other).await();
      assertTrue(!own.thread.equals(other.thread), "two loops: " + own.thread);
      publish(vertx, 1, 1);
      Await.until(() -> ownSawOther.get() != null, WAIT, "the consumer's own hub ran");
      assertTrue(ownSawOther.get(), "the other loop's hub started before the consumer's own loop fanned out");
    } finally {
      vertx.close().await();
    }
  }

  /** A hub that records the batches it is handed. */
  static final class Batches extends VerticleBase {
    final FanOut fan;
    final List<List<Long>> batches = new CopyOnWriteArrayList<>();

    Batches(FanOut fan) {
      this.fan = fan;
    }

    @Override
    public Future<?> start() {
      return fan.bus().listen(ADDRESS, new Hub.Receiver() {
        @Override
        public void accept(io.pulse.messages.Delivery d) {
          batches.add(List.of(d.seq()));
        }

        @Override
        public void acceptAll(List<io.pulse.messages.Delivery> heard) {
          batches.add(heard.stream().map(io.pulse.messages.Delivery::seq).toList());
        }
      }).ready();
    }

    long total() {
      return batches.stream().mapToLong(List::size).sum();
    }

    io.vertx.core.Context loop() {
      return context;
    }
  }

  @Test
  void messagesHeardWhileTheLoopIsBusyAreHandedOverTogether() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      FanOut fan = new FanOut(vertx.eventBus());
      Batches hub = new Batches(fan);
      vertx.deployVerticle(hub).await();

      // An idle loop: each message alone, as it comes.
      publish(vertx, 1, 1);
      Await.until(() -> hub.total() == 1, WAIT, "the first message");
      assertEquals(List.of(List.of(1L)), hub.batches);

      // A busy loop: what arrives meanwhile waits, and is handed over in one batch, in order.
      java.util.concurrent.CountDownLatch busy = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
      hub.loop().runOnContext(v -> {
        busy.countDown();
        try {
          release.await(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      assertTrue(busy.await(5, java.util.concurrent.TimeUnit.SECONDS));
      publish(vertx, 2, 6);
      release.countDown();
      Await.until(() -> hub.total() == 6, WAIT, "all six: " + hub.batches);
      assertEquals(List.of(List.of(1L), List.of(2L, 3L, 4L, 5L, 6L)), hub.batches);

      // More than a batch's worth: split at FanOut.MAX_BATCH, still in order.
      java.util.concurrent.CountDownLatch busy2 = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.CountDownLatch release2 = new java.util.concurrent.CountDownLatch(1);
      hub.loop().runOnContext(v -> {
        busy2.countDown();
        try {
          release2.await(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      assertTrue(busy2.await(5, java.util.concurrent.TimeUnit.SECONDS));
      int many = FanOut.MAX_BATCH + 10;
      publish(vertx, 7, 6 + many);
      release2.countDown();
      Await.until(() -> hub.total() == 6 + many, WAIT, "all of them");
      List<Long> after = hub.batches.subList(2, hub.batches.size()).stream().flatMap(List::stream).toList();
      assertEquals(range(7, 6 + many), after, "in order");
      assertTrue(hub.batches.stream().allMatch(b -> b.size() <= FanOut.MAX_BATCH), "no batch over the bound");
      assertTrue(hub.batches.size() <= 5, "batched, not one by one: " + hub.batches.size());
    } finally {
      vertx.close().await();
    }
  }

  private static void publish(Vertx vertx, int from, int to) {
    for (int seq = from; seq <= to; seq++) {
      vertx.eventBus().publish(ADDRESS, "{\"seq\":" + seq + "}", new DeliveryOptions()
          .addHeader(Addresses.HEADER_CHANNEL, "fan.t").addHeader(Addresses.HEADER_SEQ, String.valueOf(seq))
          .addHeader(Addresses.HEADER_TS, "0"));
    }
  }

  private static List<Long> range(long from, long to) {
    List<Long> out = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      out.add(i);
    }
    return out;
  }
}
