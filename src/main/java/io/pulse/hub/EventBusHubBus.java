package io.pulse.hub;

import io.pulse.Addresses;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.function.Consumer;

/** {@link Hub.Bus} over the clustered event bus: one consumer per channel or pattern address. */
public final class EventBusHubBus implements Hub.Bus {

  private final EventBus bus;

  public EventBusHubBus(EventBus bus) {
    this.bus = bus;
  }

  @Override
  public Hub.Registration listen(String address, Consumer<Delivery> handler) {
    MessageConsumer<String> consumer = bus.consumer(address, msg -> {
      MultiMap h = msg.headers();
      handler.accept(new Delivery(h.get(Addresses.HEADER_CHANNEL), Long.parseLong(h.get(Addresses.HEADER_SEQ)),
          Long.parseLong(h.get(Addresses.HEADER_TS)), msg.body()));
    });
    return new Hub.Registration() {
      @Override
      public Future<Void> ready() {
        return consumer.completion();
      }

      @Override
      public void cancel() {
        consumer.unregister();
      }
    };
  }
}
