package io.pulse.hub;

import io.pulse.messages.Addresses;
import io.pulse.messages.Delivery;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.Handler;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One clustered event-bus consumer per address for all the hubs of a transport on this node.
 *
 * <p>A transport runs one verticle instance, with a hub of its own, per event loop (so that the
 * writes of a fan-out are spread over the cores). Each hub asks for the addresses it needs
 * through {@link #bus()}; the first one registers the consumer, the last one to leave removes it.
 * A message is decoded once and handed to every listening hub on that hub's own event loop, in
 * the order the consumer heard them. The consumer lives on the context of the hub that created it;
 * all the hubs of one transport belong to one deployment, so they come and go together.
 *
 * <p>Thread-safe.
 */
public final class FanOut {

  private final EventBus bus;
  private final Map<String, Address> addresses = new HashMap<>(); // guarded by this

  public FanOut(EventBus bus) {
    this.bus = bus;
  }

  /** A hub's view: listen from a Vert.x context; the handler runs on that context. */
  public Hub.Bus bus() {
    return this::listen;
  }

  /** Addresses with a consumer. */
  public synchronized int consumers() {
    return addresses.size();
  }

  private static final Listener[] NONE = new Listener[0];

  /**
   * The most messages a listener's loop takes in one task, so that one turn stays short; as many
   * as the transports keep encoded ({@link io.pulse.net.SharedBuffers#KEPT}).
   */
  static final int MAX_BATCH = io.pulse.net.SharedBuffers.KEPT;

  /**
   * A hub listening on an address. The consumer queues each message for it and makes sure one
   * task to take them is pending on the hub's loop: when the loop is busy (a burst, a long
   * fan-out), the messages heard meanwhile wait together and are handed over at once
   * ({@link Hub.Receiver#acceptAll}), so each connection gets them in one flush. On an idle loop
   * the task runs next, with the one message.
   */
  private static final class Listener {
    final Context context;
    final Thread thread; // the context's event loop
    final Hub.Receiver handler;
    final Queue<Delivery> pending = new ConcurrentLinkedQueue<>();
    final AtomicBoolean scheduled = new AtomicBoolean();
    final List<Delivery> batch = new ArrayList<>(); // the listener's thread only
    final Handler<Void> take = v -> take();
    boolean cancelled; // set and read on that thread only

    Listener(Context context, Consumer<Delivery> handler) {
      this.context = context;
      this.thread = Thread.currentThread();
      this.handler = handler instanceof Hub.Receiver r ? r : handler::accept;
    }

    /** Any thread (the consumer's): queues {@code d} and makes sure a task will take it. */
    void offer(Delivery d) {
      pending.add(d);
      schedule();
    }

    private void schedule() {
      if (!scheduled.get() && scheduled.compareAndSet(false, true)) {
        context.runOnContext(take);
      }
    }

    /** On the listener's loop: hands over what is queued (up to {@link #MAX_BATCH}), in order. */
    private void take() {
      scheduled.set(false); // a message queued from here on schedules the next task
      Delivery d;
      while (batch.size() < MAX_BATCH && (d = pending.poll()) != null) {
        batch.add(d);
      }
      try {
        if (!cancelled && !batch.isEmpty()) {
          handler.acceptAll(batch);
        }
      } finally {
        batch.clear();
        if (!pending.isEmpty()) {
          schedule(); // more than one batch was waiting
        }
      }
    }
  }

  /** One consumer and the hubs it feeds. */
  private static final class Address {
    MessageConsumer<String> consumer;
    volatile Listener[] listeners = NONE; // replaced, never changed, under the FanOut lock
  }

  private Hub.Registration listen(String name, Consumer<Delivery> handler) {
    Context context = Vertx.currentContext();
    if (context == null || !context.isEventLoopContext()) {
      throw new IllegalStateException("FanOut.listen must be called on an event loop");
    }
    Listener listener = new Listener(context, handler);
    Address address;
    synchronized (this) {
      address = addresses.get(name);
      if (address == null) {
        address = new Address();
        Address created = address;
        created.consumer = bus.consumer(name, msg -> dispatch(created, decode(msg.headers(), msg.body())));
        addresses.put(name, address);
      }
      Listener[] old = address.listeners;
      Listener[] grown = Arrays.copyOf(old, old.length + 1);
      grown[old.length] = listener;
      address.listeners = grown;
    }
    Address registered = address;
    return new Hub.Registration() {
      @Override
      public Future<Void> ready() {
        // The consumer's future completes on the context that registered it; come back to ours.
        Promise<Void> here = Promise.promise();
        registered.consumer.completion().onComplete(ar -> context.runOnContext(v -> here.handle(ar)));
        return here.future();
      }

      @Override
      public void cancel() {
        listener.cancelled = true;
        remove(name, registered, listener);
      }
    };
  }

  private synchronized void remove(String name, Address address, Listener listener) {
    Listener[] old = address.listeners;
    Listener[] kept = Arrays.stream(old).filter(l -> l != listener).toArray(Listener[]::new);
    address.listeners = kept;
    if (kept.length == 0 && addresses.get(name) == address) {
      addresses.remove(name);
      address.consumer.unregister();
    }
  }

  private static Delivery decode(MultiMap h, String body) {
    return new Delivery(h.get(Addresses.HEADER_CHANNEL), Long.parseLong(h.get(Addresses.HEADER_SEQ)),
        Long.parseLong(h.get(Addresses.HEADER_TS)), body);
  }

  /**
   * On the consumer's event loop: the hubs of other loops first, so that they start their fan-out
   * at once; then the hubs of this loop. Each gets the message through a task on its own loop
   * ({@link Listener}), and an address's messages in the order the consumer heard them.
   */
  private static void dispatch(Address address, Delivery d) {
    Thread here = Thread.currentThread();
    Listener[] listeners = address.listeners;
    boolean local = false;
    for (Listener l : listeners) {
      if (l.thread == here) {
        local = true;
      } else {
        l.offer(d);
      }
    }
    if (local) {
      for (Listener l : listeners) {
        if (l.thread == here) {
          l.offer(d);
        }
      }
    }
  }
}
