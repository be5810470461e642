package io.pulse.testing;

import io.pulse.channel.Channels;
import io.pulse.hub.Hub;
import io.pulse.messages.Addresses;
import io.pulse.messages.Delivery;
import io.vertx.core.Future;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/** A hub's bus without a cluster: records registrations and lets the test deliver to them. */
public final class FakeBus implements Hub.Bus {
  public final Map<String, Consumer<Delivery>> live = new HashMap<>();
  public int registered;
  public int cancelled;

  @Override
  public Hub.Registration listen(String address, Consumer<Delivery> handler) {
    registered++;
    live.put(address, handler);
    return new Hub.Registration() {
      @Override
      public Future<Void> ready() {
        return Future.succeededFuture();
      }

      @Override
      public void cancel() {
        cancelled++;
        live.remove(address);
      }
    };
  }

  /** Publishes like PublishVerticle: on the channel address and every prefix address. */
  public void publish(String channel, long seq) {
    publish(new Delivery(channel, seq, System.currentTimeMillis(), "{\"seq\":" + seq + "}"));
  }

  /** Publishes {@code d} like PublishVerticle: on its channel address and every prefix address. */
  public void publish(Delivery d) {
    deliver(Addresses.channel(d.channel()), d);
    for (String p : Channels.prefixes(d.channel())) {
      deliver(Addresses.pattern(p), d);
    }
  }

  public void deliver(String address, Delivery d) {
    Consumer<Delivery> h = live.get(address);
    if (h != null) {
      h.accept(d);
    }
  }
}
