package io.pulse.net;

/**
 * Netty's io_uring settings that Pulse changes from Netty's defaults. They are read once, when
 * Netty's {@code IoUring} class loads, so {@link #apply()} must run before the first io_uring
 * event loop exists; a value the operator set with {@code -D} is kept.
 *
 * <ul>
 *   <li>{@code io.netty.iouring.numElementsIoVec} = IOV_MAX (1,024). Each io_uring event loop
 *       gathers the buffers of every channel that writes more than one message at once into one
 *       shared iovec array, emptied only when the array is full. Netty sizes that array at ten
 *       times IOV_MAX but refuses new entries once it holds IOV_MAX, and only a full array is
 *       emptied: after 1,024 entries every further channel submits a writev of zero buffers,
 *       which completes with 0 bytes and is submitted again, round after round. Under fan-out
 *       with a backlog (several messages queued per connection) the event loop then spends most
 *       of its time on empty writes and falls further behind (benchmark: 100,000 → 17,000
 *       deliveries/s at 5,000 subscribers once completions were not held back). With the array
 *       exactly IOV_MAX long, "full" and "refuses entries" coincide and the array is submitted and
 *       emptied in time.
 *   <li>{@code io.netty.iouring.cqSize} = 32,768 (Netty: 4,096). Writing one message to a few
 *       thousand connections posts one completion per connection before the event loop reads any;
 *       past the ring's size the kernel parks them on an overflow list (allocated per entry) and
 *       Netty logs a warning for each round. A larger ring costs, per entry and event loop, 16
 *       bytes of ring and, where the kernel supports mixed-size completions (Linux 6.18), 68
 *       bytes of heap for the {@code ByteBuffer} view Netty keeps of each entry: 2.7 MB per
 *       event loop in all.
 * </ul>
 */
public final class IoUringSettings {

  public static final String IOVEC_ELEMENTS = "io.netty.iouring.numElementsIoVec";
  public static final String CQ_SIZE = "io.netty.iouring.cqSize";

  /** Linux's IOV_MAX: the most buffers one writev takes. */
  static final int IOV_MAX = 1024;
  static final int CQ_ENTRIES = 32768;

  private IoUringSettings() {
  }

  /** Sets each property unless already set. Call before anything touches Netty's io_uring. */
  public static void apply() {
    setIfAbsent(IOVEC_ELEMENTS, IOV_MAX);
    setIfAbsent(CQ_SIZE, CQ_ENTRIES);
  }

  private static void setIfAbsent(String key, int value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, Integer.toString(value));
    }
  }
}
