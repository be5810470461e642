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
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
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

  /** A hub listening on an address. */
  private static final class Listener {
    final Context context;
    final Thread thread; // the context's event loop
    final Consumer<Delivery> handler;
    boolean cancelled; // set and read on that thread only

    Listener(Context context, Consumer<Delivery> handler) {
      this.context = context;
      this.thread = Thread.currentThread();
      this.handler = handler;
    }

    void accept(Delivery d) {
      if (!cancelled) {
        handler.accept(d);
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
   * On the consumer's event loop: the hubs of other loops first, through their own loop, so that
   * they start their fan-out at once; then the hubs of this loop, directly. Each hub still gets an
   * address's messages in the order the consumer heard them.
   */
  private static void dispatch(Address address, Delivery d) {
    Thread here = Thread.currentThread();
    Listener[] listeners = address.listeners;
    boolean local = false;
    for (Listener l : listeners) {
      if (l.thread == here) {
        local = true;
      } else {
        l.context.runOnContext(v -> l.accept(d));
      }
    }
    if (local) {
      for (Listener l : listeners) {
        if (l.thread == here) {
          l.accept(d);
        }
      }
    }
  }
}
