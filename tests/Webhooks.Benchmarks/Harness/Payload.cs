using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Webhooks.Benchmarks.Harness;

/// <summary>
/// The event data every scenario publishes, padded so that the Standard Webhooks envelope the library
/// sends (<c>{"type":…,"timestamp":…,"data":…}</c>) is <see cref="EnvelopeBytes"/> long; the hand-written
/// loop sends an envelope of the same shape and length.
/// </summary>
public static class Payload
{
    public const string EventType = "order.created";

    public static int EnvelopeBytes { get; set; } = 1024;

    /// <summary>The data object; <paramref name="sentAt"/> (a Stopwatch timestamp, 0 when unused) lets the receiver time the trip.</summary>
    public static JsonElement Data(long seq, long sentAt = 0)
    {
        var head = $"{{\"id\":{seq,12},\"t\":{sentAt,20},\"customer\":\"alice\",\"pad\":\"";
        const string tail = "\"}";
        // Envelope overhead: {"type":"order.created","timestamp":"2026-01-01T00:00:00+00:00","data":} = fixed text.
        int overhead = Encoding.UTF8.GetByteCount(Envelope("", DateTimeOffset.UnixEpoch).Replace("null", "", StringComparison.Ordinal));
        int pad = Math.Max(0, EnvelopeBytes - overhead - head.Length - tail.Length);
        using var doc = JsonDocument.Parse(head + new string('x', pad) + tail);
        return doc.RootElement.Clone();
    }

    /// <summary>The envelope bytes as the library writes them.</summary>
    public static byte[] EnvelopeOf(JsonElement data, DateTimeOffset timestamp)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(EnvelopeBytes + 64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", EventType);
            writer.WriteString("timestamp", timestamp.ToUniversalTime());
            writer.WritePropertyName("data");
            data.WriteTo(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static string Envelope(string data, DateTimeOffset timestamp)
    {
        using var doc = JsonDocument.Parse(data.Length == 0 ? "null" : data);
        return Encoding.UTF8.GetString(EnvelopeOf(doc.RootElement, timestamp));
    }

    public static long Now() => Stopwatch.GetTimestamp();
}
