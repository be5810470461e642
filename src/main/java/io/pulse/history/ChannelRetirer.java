package io.pulse.history;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicates;
import com.hazelcast.ringbuffer.Ringbuffer;
import io.pulse.history.Registration.State;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retires the channels whose messages have all expired: destroys the ring buffer, and the
 * channel's next message starts a new one whose ids continue where the old ones ended
 * ({@link Registration}).
 *
 * <p>Safe without a lock on the publish path. Each node confirms a registration with the registry
 * before using it again once it is older than {@code validNanos} ({@link ChannelSlots}). Retiring
 * takes two checks: the first marks the channel {@link State#RETIRING}, and only a check at least
 * {@code 2 × validNanos} later destroys the ring buffer, by which time every node has either
 * stopped using its registration or confirmed it, seen the mark and taken it back (a use revives
 * the channel).
 */
final class ChannelRetirer {

  /** History's logger, as before the split: the log line keeps its logger name. */
  private static final Logger LOG = LoggerFactory.getLogger(History.class);

  private final HazelcastInstance hz;
  private final IMap<String, String> channels;
  private final long validNanos;
  /** Channels marked for retiring by this node's {@link #retireIdle}: when (nanoTime). */
  private final Map<String, Long> marked = new ConcurrentHashMap<>();

  ChannelRetirer(HazelcastInstance hz, IMap<String, String> channels, long validNanos) {
    this.hz = hz;
    this.channels = channels;
    this.validNanos = validNanos;
  }

  /**
   * One round of retiring, over the registrations this member owns: marks the active channels
   * whose window is empty (every message expired), and retires those that were marked by an
   * earlier round at least {@code 2 × validNanos} ago and are still empty. Blocking: call it on a
   * worker, at most one at a time. Returns how many channels it retired.
   */
  int retireIdle() {
    IMap<String, String> map = channels;
    long now = System.nanoTime();
    Set<String> stillMarked = new HashSet<>();
    int retired = 0;
    for (String channel : map.localKeySet(Predicates.not(Predicates.like("this", "%," + State.RETIRED.code)))) {
      String text = map.get(channel);
      if (text == null) {
        continue;
      }
      Registration reg = Registration.parse(text);
      if (reg.state() == State.RETIRED) {
        continue;
      }
      Ringbuffer<String> rb = hz.getRingbuffer(reg.ringName(channel));
      if (reg.state() == State.ACTIVE) {
        if (rb.size() == 0 && map.replace(channel, text, reg.retiring().encode())) {
          marked.put(channel, now);
          stillMarked.add(channel);
        }
        continue;
      }
      Long since = marked.putIfAbsent(channel, now); // marked before this node owned the entry: wait from now
      if (since == null || now - since < 2 * validNanos) {
        stillMarked.add(channel);
        continue;
      }
      if (rb.size() > 0) {
        map.replace(channel, text, reg.active().encode());
      } else if (map.replace(channel, text, reg.retired(rb.tailSequence()).encode())) {
        destroy(rb);
        retired++;
      }
    }
    marked.keySet().retainAll(stillMarked);
    return retired;
  }

  private static void destroy(Ringbuffer<String> rb) {
    try {
      rb.destroy();
    } catch (RuntimeException e) {
      LOG.warn("could not destroy the retired ring buffer {}: {}", rb.getName(), e.toString());
    }
  }
}
