package io.pulse.messages;

/**
 * One message of one channel, ready to be written: {@code envelope} is the envelope JSON, encoded
 * once by the publishing node and shared by every session that receives it.
 *
 * @param channel  the concrete channel
 * @param seq      the channel's sequence number (the envelope id, as a number)
 * @param ts       publish time, epoch milliseconds
 * @param envelope the envelope JSON text
 */
public record Delivery(String channel, long seq, long ts, String envelope) {
}
