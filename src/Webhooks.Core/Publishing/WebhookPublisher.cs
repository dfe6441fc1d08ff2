using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Options;
using Webhooks.Core.Catalog;
using Webhooks.Core.Delivery;
using Webhooks.Core.Subscriptions;

namespace Webhooks.Core.Publishing;

internal sealed class WebhookPublisher(
    IWebhookEventCatalog catalog,
    IWebhookSubscriptionStore subscriptions,
    IWebhookDeliveryStore deliveries,
    WebhookDispatchSignal signal,
    IOptions<WebhookOptions> options,
    IOptions<WebhookSerializerOptions> serializer,
    TimeProvider time) : IWebhookPublisher
{
    public Task<WebhookPublishResult> PublishAsync<TPayload>(WebhookEvent<TPayload> eventType, TPayload data, WebhookPublishOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(eventType);
        var type = Resolve(eventType.Name);
        var typeInfo = (JsonTypeInfo<TPayload>)serializer.Value.JsonSerializerOptions.GetTypeInfo(typeof(TPayload));
        return PublishCoreAsync(type, writer => JsonSerializer.Serialize(writer, data, typeInfo), options, cancellationToken);
    }

    public Task<WebhookPublishResult> PublishAsync(string eventType, object? data, WebhookPublishOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(eventType);
        var type = Resolve(eventType);
        if (data is not null && type.PayloadType is { } expected && !expected.IsInstanceOfType(data))
        {
            throw new WebhookValidationException("data", $"Event type '{eventType}' carries {expected.Name} payloads, not {data.GetType().Name}.");
        }

        var jsonOptions = serializer.Value.JsonSerializerOptions;
        return PublishCoreAsync(type, writer => WriteUntyped(writer, data, jsonOptions), options, cancellationToken);
    }

    internal static void WriteUntyped(Utf8JsonWriter writer, object? data, JsonSerializerOptions jsonOptions)
    {
        switch (data)
        {
            case null:
                writer.WriteNullValue();
                break;
            case JsonElement element:
                element.WriteTo(writer);
                break;
            case System.Text.Json.Nodes.JsonNode node:
                node.WriteTo(writer, jsonOptions);
                break;
            default:
                JsonSerializer.Serialize(writer, data, jsonOptions.GetTypeInfo(data.GetType()));
                break;
        }
    }

    private WebhookEventType Resolve(string name) =>
        catalog.Find(name) ?? throw new WebhookUnknownEventTypeException(name, catalog.EventTypes.Select(t => t.Name));

    private async Task<WebhookPublishResult> PublishCoreAsync(WebhookEventType type, Action<Utf8JsonWriter> writeData, WebhookPublishOptions? publishOptions, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var now = time.GetUtcNow();
        var timestamp = publishOptions?.Timestamp ?? now;
        var owner = publishOptions?.Owner;
        var payload = Serialize(type.Name, timestamp, writeData, o.MaxPayloadBytes, o.PayloadFormat);

        var targets = await subscriptions.FindForEventAsync(owner, type, cancellationToken).ConfigureAwait(false);
        if (targets.Any(t => t.Filter.Count > 0))
        {
            var attributes = publishOptions?.Attributes;
            targets = [.. targets.Where(t => t.Accepts(attributes))];
        }

        var idempotencyKey = publishOptions?.IdempotencyKey;
        if (targets.Count == 0 && idempotencyKey is null)
        {
            return new WebhookPublishResult(WebhookIds.New("msg_", now), 0, false);
        }

        var message = new WebhookMessage
        {
            Id = WebhookIds.New("msg_", now),
            EventType = type.Name,
            Timestamp = timestamp,
            Owner = owner,
            IdempotencyKey = idempotencyKey,
            IdempotencyExpiresAt = idempotencyKey is null ? null : now + o.IdempotencyWindow,
            Payload = payload,
        };
        var batch = new WebhookDelivery[targets.Count];
        for (int i = 0; i < batch.Length; i++)
        {
            batch[i] = new WebhookDelivery
            {
                Id = WebhookIds.New("dlv_", now),
                MessageId = message.Id,
                SubscriptionId = targets[i].Id,
                EventType = type.Name,
                Status = WebhookDeliveryStatus.Pending,
                CreatedAt = now,
                NextAttemptAt = now,
            };
        }

        var result = await deliveries.EnqueueAsync(message, batch, cancellationToken).ConfigureAwait(false);
        if (!result.IsDuplicate && batch.Length > 0)
        {
            signal.Notify();
        }

        return new WebhookPublishResult(result.MessageId, result.DeliveryCount, result.IsDuplicate);
    }

    /// <summary>Writes the body once (the Standard Webhooks envelope, or the data alone); every delivery of the message shares these bytes.</summary>
    internal static byte[] Serialize(string eventType, DateTimeOffset timestamp, Action<Utf8JsonWriter> writeData, int maxBytes, WebhookPayloadFormat format = WebhookPayloadFormat.Envelope)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            if (format == WebhookPayloadFormat.Data)
            {
                writeData(writer);
            }
            else
            {
                WriteEnvelope(writer, eventType, timestamp, writeData);
            }
        }

        if (buffer.WrittenCount > maxBytes)
        {
            throw new WebhookPayloadTooLargeException(eventType, buffer.WrittenCount, maxBytes);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteEnvelope(Utf8JsonWriter writer, string eventType, DateTimeOffset timestamp, Action<Utf8JsonWriter> writeData)
    {
        writer.WriteStartObject();
        writer.WriteString("type", eventType);
        writer.WriteString("timestamp", timestamp.ToUniversalTime());
        writer.WritePropertyName("data");
        writeData(writer);
        writer.WriteEndObject();
    }
}

/// <summary>How payloads are serialized. For trimmed or AOT apps, add your source-generated context to <see cref="JsonSerializerOptions"/>'s <c>TypeInfoResolverChain</c>.</summary>
public sealed class WebhookSerializerOptions
{
    /// <summary>The options payloads are serialized with.</summary>
    /// <value>The default is <see cref="JsonSerializerDefaults.Web"/> (camelCase) with reflection-based resolution.</value>
    public JsonSerializerOptions JsonSerializerOptions { get; set; } = CreateDefault();

    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Apps that trim set their own source-generated resolver.")]
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Apps that use AOT set their own source-generated resolver.")]
    private static JsonSerializerOptions CreateDefault() => new(JsonSerializerDefaults.Web)
    {
        TypeInfoResolver = JsonSerializer.IsReflectionEnabledByDefault ? new DefaultJsonTypeInfoResolver() : WebhookJsonContext.Default,
    };
}
