package io.pulse.hub;

import java.util.function.Function;

/**
 * The wire form of the message being fanned out, encoded once per node rather than once per
 * connection: the hub hands the same {@link Delivery} to every session in turn, so remembering
 * the last one encoded is enough. Replayed messages (one session each) simply miss.
 *
 * <p>Not thread-safe: one per transport verticle, used on its event loop.
 */
public final class Encoded<T> {

  private final Function<Delivery, T> encode;
  private Delivery last;
  private T value;

  public Encoded(Function<Delivery, T> encode) {
    this.encode = encode;
  }

  public T of(Delivery d) {
    if (d != last) {
      value = encode.apply(d);
      last = d;
    }
    return value;
  }
}
