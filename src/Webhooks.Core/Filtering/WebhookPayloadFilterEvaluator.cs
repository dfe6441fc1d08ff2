using System.Buffers;
using System.Text.Json;

namespace Webhooks.Core.Filtering;

/// <summary>
/// Evaluates payload filters against one message, for one publish: the serialized body is parsed
/// the first time a filter needs it (never re-serialized), and each distinct filter is evaluated
/// once, however many subscriptions share it. Not thread-safe; dispose it when the publish has
/// picked its subscriptions.
/// </summary>
/// <param name="payload">The message's body, as it will be sent.</param>
/// <param name="eventType">The event type name.</param>
/// <param name="isEnvelope">
/// Whether the body is the envelope (<c>{"type","timestamp","data"}</c>); otherwise it is the
/// data alone, and the filter's <c>data</c> paths still mean the published data.
/// </param>
internal sealed class WebhookPayloadFilterEvaluator(ReadOnlyMemory<byte> payload, string eventType, bool isEnvelope) : IDisposable
{
    private readonly Dictionary<string, bool> _results = new(StringComparer.Ordinal);
    private JsonDocument? _body;
    private JsonDocument? _type;
    private WebhookFilterInput _input;

    /// <summary>How many times the body was parsed (0 or 1), for tests.</summary>
    internal int BodyParses { get; private set; }

    /// <summary>How many filters were evaluated (one per distinct filter text), for tests.</summary>
    internal int Evaluations { get; private set; }

    /// <summary>Whether the message passes a stored filter.</summary>
    /// <param name="filter">The subscription's stored filter text; <see langword="null"/> for none (passes).</param>
    /// <returns>
    /// Whether it passes. A stored text that is not a valid filter (possible only when the store was
    /// changed around the engine, which validates every filter it saves) passes: delivering more
    /// than asked is recoverable, silently dropping events is not.
    /// </returns>
    public bool Matches(string? filter)
    {
        if (filter is null)
        {
            return true;
        }

        if (!_results.TryGetValue(filter, out var result))
        {
            result = !WebhookPayloadFilter.TryGetCached(filter, out var parsed) || parsed.Matches(Input());
            Evaluations++;
            _results[filter] = result;
        }

        return result;
    }

    public void Dispose()
    {
        _body?.Dispose();
        _type?.Dispose();
    }

    private ref readonly WebhookFilterInput Input()
    {
        if (_body is null)
        {
            _body = JsonDocument.Parse(payload);
            BodyParses++;
            var root = _body.RootElement;
            if (isEnvelope)
            {
                _input = new WebhookFilterInput(Property(root, "type"), Property(root, "data"));
            }
            else
            {
                _type = TypeElement(eventType);
                _input = new WebhookFilterInput(_type.RootElement, root);
            }
        }

        return ref _input;
    }

    private static JsonElement Property(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var value) ? value : default;

    private static JsonDocument TypeElement(string eventType)
    {
        var buffer = new ArrayBufferWriter<byte>(eventType.Length + 8);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStringValue(eventType);
        }

        return JsonDocument.Parse(buffer.WrittenMemory);
    }
}
