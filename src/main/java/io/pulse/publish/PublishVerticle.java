package io.pulse.publish;

import io.pulse.messages.Addresses;
import io.pulse.channel.Channels;
import io.pulse.history.History;
import io.pulse.messages.Envelope;
import io.pulse.messages.PublishRequest;
import io.pulse.metrics.PulseMetrics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The publish API (SPEC §12).
 *
 * <p>Consumes {@link Addresses#PUBLISH}: JSON {@code {"channel","event","data","from"}}. Each valid
 * message is appended to the channel's history, which assigns its id, then published as envelope
 * text on {@code pulse.ch.<channel>} and on {@code pulse.pat.<prefix>} for every prefix of the
 * channel, with headers channel, sequence and timestamp. Replies {@code {"id"}}; fails with 400
 * for a bad request and 503 when the history cannot be written. On the smaller side of a split
 * (below {@code cluster.quorum}) the message goes out live with a detached id instead
 * ({@link io.pulse.history.DetachedIds}, docs: partitions.md).
 *
 * <p>Messages of one channel accepted here get their ids, and go out, in the order they were
 * accepted, even though the history writes overlap (each add is sent once the previous one was).
 */
public final class PublishVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(PublishVerticle.class);

  private final History history;
  private final PulseMetrics metrics;
  private final int maxMessageBytes;
  private final Map<String, Future<?>> lastPerChannel = new HashMap<>(); // per channel: the last reply, for their order
  private final Map<String, Future<?>> sent = new HashMap<>(); // per channel: the last add sent to the history

  public PublishVerticle(History history, PulseMetrics metrics, int maxMessageBytes) {
    this.history = history;
    this.metrics = metrics;
    this.maxMessageBytes = maxMessageBytes;
  }

  @Override
  public Future<?> start() {
    return vertx.eventBus().consumer(Addresses.PUBLISH, this::handle).completion();
  }

  private void handle(Message<Object> msg) {
    if (!(msg.body() instanceof JsonObject body)) {
      metrics.refused("bad_request");
      msg.fail(400, "body must be a JSON object {channel, event, data, from}");
      return;
    }
    PublishRequest req;
    try {
      req = PublishRequest.fromJson(body, maxMessageBytes);
    } catch (IllegalArgumentException e) {
      metrics.refused("bad_request");
      msg.fail(400, e.getMessage());
      return;
    }
    long ts = System.currentTimeMillis();
    String tail = Envelope.tail(req.event(), ts, req.from(), req.data());
    String channel = req.channel();
    // The ring buffer numbers adds in the order they reach it: each add of a channel is sent only
    // once the previous one was (at once, but for a channel's first messages, which wait for its
    // ring buffer to be found, and would otherwise be sent in any order).
    Future<?> sentBefore = sent.get(channel);
    Future<History.Appender> ready = sentBefore == null ? history.appender(channel)
        : sentBefore.transform(ignored -> history.appender(channel));
    Future<Long> appended = ready.compose(a -> a.add(tail));
    Future<Void> sentHere = ready.mapEmpty(); // completes after the compose above sent the add
    sent.put(channel, sentHere);
    sentHere.onComplete(ar -> sent.remove(channel, sentHere));
    Future<?> previous = lastPerChannel.get(channel);
    Future<Long> ordered = previous == null ? appended : previous.transform(ignored -> appended);
    lastPerChannel.put(channel, ordered);
    ordered.onComplete(ar -> {
      lastPerChannel.remove(channel, ordered);
      long seq;
      if (ar.succeeded()) {
        seq = ar.result();
      } else if (History.noQuorum(ar.cause())) {
        // This side of a split is below cluster.quorum: live delivery on this side, no history.
        seq = history.detachedId();
        metrics.detached();
      } else {
        LOG.warn("history append failed on {}: {}", channel, ar.cause().toString());
        msg.fail(503, "history unavailable: " + ar.cause().getMessage());
        return;
      }
      deliver(channel, seq, ts, Envelope.full(channel, seq, tail));
      metrics.published();
      msg.reply(new JsonObject().put("id", Envelope.id(seq)));
    });
  }

  private void deliver(String channel, long seq, long ts, String envelope) {
    DeliveryOptions opts = new DeliveryOptions()
        .addHeader(Addresses.HEADER_CHANNEL, channel)
        .addHeader(Addresses.HEADER_SEQ, Long.toString(seq))
        .addHeader(Addresses.HEADER_TS, Long.toString(ts));
    EventBus bus = vertx.eventBus();
    bus.publish(Addresses.channel(channel), envelope, opts);
    for (String prefix : Channels.prefixes(channel)) {
      bus.publish(Addresses.pattern(prefix), envelope, opts);
    }
  }
}
